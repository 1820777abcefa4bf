import {
  AttemptResponseSchema,
  COLLECTIONS,
  liveWorkersFor,
  reviveDates,
  signBody,
  SIGNATURE_HEADER,
  WorkerRecordSchema,
  type AttemptRequest,
  type AttemptResponse,
  type Tier,
  type WorkerRecord,
} from '@vidgen/contract';
import { logger } from 'firebase-functions';
import type { Firestore } from 'firebase-admin/firestore';

export type OfferOutcome =
  | { kind: 'taken'; workerId: string; response: AttemptResponse }
  | { kind: 'no_room'; tried: string[] };

/**
 * Live workers that serve `tier`, with room or not, least loaded first (see {@link liveWorkersFor}).
 * Heartbeats are server timestamps and their age is taken at the read time, so a worker whose clock
 * is off is judged like any other.
 */
export async function liveWorkers(db: Firestore, tier: Tier): Promise<WorkerRecord[]> {
  const { workers, readAt } = await listWorkers(db);
  return liveWorkersFor(workers, tier, readAt);
}

/** The registered workers whose records parse (a malformed record is logged and skipped), and when Firestore read them. */
export async function listWorkers(db: Firestore): Promise<{ workers: WorkerRecord[]; readAt: Date }> {
  const snapshot = await db.collection(COLLECTIONS.workers).get();
  const workers = snapshot.docs.flatMap((doc) => {
    const parsed = WorkerRecordSchema.safeParse(reviveDates(doc.data()));
    if (parsed.success) return [parsed.data];
    logger.warn('Skipping a malformed worker record', { workerId: doc.id });
    return [];
  });
  return { workers, readAt: snapshot.readTime.toDate() };
}

/**
 * Offers an attempt to live workers with room, best first. A worker answers 202 once it holds the
 * lease, 409 when another runner already does, 429 when full; anything else moves on to the next one.
 */
export async function offerToWorkers(
  ranked: WorkerRecord[],
  request: AttemptRequest,
  options: { secret: string; timeoutMs: number },
): Promise<OfferOutcome> {
  const tried: string[] = [];
  for (const worker of ranked) {
    tried.push(worker.workerId);
    const body = JSON.stringify(request);
    try {
      const response = await fetch(new URL('/v1/attempts', worker.url), {
        method: 'POST',
        headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signBody(options.secret, body) },
        body,
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      if (response.status === 202 || response.status === 409) {
        const parsed = AttemptResponseSchema.parse(await response.json());
        return { kind: 'taken', workerId: worker.workerId, response: parsed };
      }
      logger.info('Worker declined the attempt', { workerId: worker.workerId, status: response.status, jobId: request.jobId });
    } catch (error) {
      logger.warn('Worker unreachable', { workerId: worker.workerId, jobId: request.jobId, error: String(error) });
    }
  }
  return { kind: 'no_room', tried };
}
