import { WORKER_STALE_AFTER_MS, WorkerRecordSchema, describeIssues, type WorkerRecord } from '@vidgen/contract';
import type { Context } from '../context';
import { documentId, fromRestFields, listDocuments } from '../firestore';
import { fail, ok, warn, type CheckResult } from '../report';

/** How long the doctor waits for a worker's /health. */
export const HEALTH_TIMEOUT_MS = 5_000;

const START_POD = 'start a pod from the template in gpu-worker/runpod/README.md (it registers itself)';

/**
 * At least one worker is registered in `workers/` and healthy: its record is valid, `ready`, has a
 * heartbeat fresher than WORKER_STALE_AFTER_MS on Firestore's clock (the Date of the list answer, so
 * this machine's clock does not matter), offers at least one tier, and its URL answers GET /health.
 */
export async function checkWorkers(context: Context): Promise<CheckResult[]> {
  const check = 'workers';
  const { body: documents, serverTime } = await listDocuments(context.api, context.project, 'workers');
  if (documents.length === 0) return [fail(check, 'none registered in workers/', START_POD)];
  const now = serverTime ?? context.now();
  const healthy: string[] = [];
  const unhealthy: string[] = [];
  for (const document of documents) {
    const id = documentId(document);
    const parsed = WorkerRecordSchema.safeParse(fromRestFields(document.fields));
    if (!parsed.success) {
      unhealthy.push(`${id}: invalid record (${describeIssues(parsed.error).join('; ')})`);
      continue;
    }
    const problem = await workerProblem(parsed.data, now);
    if (problem) unhealthy.push(`${id}: ${problem}`);
    else healthy.push(`${id} (${parsed.data.tiersReady.join(', ')}; ${parsed.data.running}/${parsed.data.capacity} running)`);
  }
  const summary = `${healthy.length} of ${documents.length} healthy`;
  if (healthy.length === 0) {
    return [fail(check, `${summary}: ${unhealthy.join('; ')}`, `look at the pods' logs and GET /health/detailed; or ${START_POD}`)];
  }
  if (unhealthy.length > 0) {
    return [warn(check, `${summary}: ${healthy.join(', ')}; not: ${unhealthy.join('; ')}`, "look at those pods' logs and GET /health/detailed")];
  }
  return [ok(check, `${summary}: ${healthy.join(', ')}`)];
}

async function workerProblem(worker: WorkerRecord, now: number): Promise<string | null> {
  if (worker.state !== 'ready') return `state ${worker.state}`;
  const age = now - worker.heartbeatAt.getTime();
  if (age >= WORKER_STALE_AFTER_MS) return `last heartbeat ${Math.round(age / 1000)} s ago`;
  if (worker.tiersReady.length === 0) return 'no tier ready (models or nodes missing)';
  const url = `${worker.url.replace(/\/+$/, '')}/health`;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS) });
    await response.arrayBuffer();
    if (!response.ok) return `GET ${url} answered ${response.status}`;
  } catch (error) {
    return `GET ${url} failed (${error instanceof Error ? error.message : String(error)})`;
  }
  return null;
}
