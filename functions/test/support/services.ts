import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { claimAttempt, createJob, type Backend, type CreateVideoJobRequest, type Job, type Tier } from '@vidgen/contract';
import { JobRepository } from '@vidgen/contract/admin';
import { resolveTools } from '@vidgen/media';
import { LiveLimits } from '../../src/api/live-limits';
import type { Services } from '../../src/services';
import { MemoryStore } from '../../../test/support/memory-store';
import { TaskQueueFake } from '../../../test/support/task-queue';
import type { UnitFirestore } from '../../../test/support/unit-firestore';

export interface TestServices {
  services: Services;
  queue: TaskQueueFake;
  store: MemoryStore;
}

/** The functions' services on the unit layer's Firestore emulator, with Cloud Tasks and Storage faked. */
export function testServices(firestore: UnitFirestore): TestServices {
  const { app, db } = firestore;
  const queue = new TaskQueueFake();
  const store = new MemoryStore();
  const services: Services = {
    app,
    db,
    jobs: new JobRepository(db),
    taskQueues: queue.functions,
    limits: new LiveLimits(db, () => undefined),
    outputs: async () => ({ store, tools: resolveTools({}), workDir: tmpdir() }),
  };
  return { services, queue, store };
}

/** Writes a new (queued) job and returns its id. */
export async function seedJob(
  services: Services,
  options: { plan?: Tier[]; request?: Partial<CreateVideoJobRequest>; ownerUid?: string; createdAt?: Date } = {},
): Promise<string> {
  const plan = options.plan ?? ['animatediff', 'svd'];
  const request: CreateVideoJobRequest = { prompt: 'a heron in fog', model: plan.length === 1 ? plan[0]! : 'auto', ...options.request };
  const jobId = `job-${randomUUID()}`;
  const { job } = createJob({ ownerUid: options.ownerUid ?? `owner-${randomUUID()}`, request, plan, now: options.createdAt ?? new Date() });
  await services.jobs.ref(jobId).set(job);
  return jobId;
}

/**
 * Claims the job's current attempt as a runner would; `leaseEndsInMs` below zero writes a lease that
 * has already run out (its runner died).
 */
export async function claimJob(
  services: Services,
  jobId: string,
  options: { backend?: Backend; workerId?: string; leaseEndsInMs?: number } = {},
): Promise<{ job: Job; leaseToken: string }> {
  const leaseToken = `${options.workerId ?? 'worker-a'}:${randomUUID()}`;
  const leaseMs = 60_000;
  const result = await services.jobs.transition(jobId, (job, now) =>
    claimAttempt(job, {
      attemptIndex: job.attempt!.index,
      backend: options.backend ?? 'comfyui',
      workerId: options.workerId ?? 'worker-a',
      leaseToken,
      leaseMs,
      now: new Date(now.getTime() + (options.leaseEndsInMs ?? leaseMs) - leaseMs),
    }),
  );
  if (!result.ok) throw new Error(`claim refused: ${result.refusal}`);
  return { job: result.job, leaseToken };
}
