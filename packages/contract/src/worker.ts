import { z } from 'zod';
import { TierSchema } from './tiers';

/** `workers/{workerId}`: how a GPU worker announces itself to the dispatcher. */
export const WorkerRecordSchema = z.object({
  workerId: z.string(),
  url: z.string().describe('Base URL the dispatcher POSTs attempts to.'),
  state: z.enum(['ready', 'draining']).describe('A draining worker finishes what it runs and takes nothing new.'),
  capacity: z.number().int().min(1),
  running: z.number().int().min(0),
  tiersReady: z.array(TierSchema).describe('Tiers whose models and nodes this worker has.'),
  pullsBacklog: z.boolean().default(false).describe('The worker claims pending attempts for its tiers itself whenever a slot frees (PULL_PENDING_ATTEMPTS).'),
  modelsLoaded: z.array(z.string()).describe('Model files ComfyUI reports present.'),
  comfyuiVersion: z.string().nullable(),
  gpu: z.string().nullable(),
  usdPerHour: z
    .number()
    .min(0)
    .optional()
    .describe('What this worker\'s GPU costs an hour, recorded on the attempts it claims: its pod\'s rate in fleet/state for a fleet pod, else its GPU_COST_PER_HOUR.'),
  startedAt: z.date(),
  drainRequestedAt: z
    .date()
    .nullable()
    .optional()
    .describe('Set by the fleet controller to scale this pod down: dispatch and the backlog puller skip the worker, which finishes what it runs.'),
  heartbeatAt: z.date().describe("Firestore's time of the last heartbeat (a server timestamp, never the worker's clock)."),
});
export type WorkerRecord = z.infer<typeof WorkerRecordSchema>;

/** A worker whose heartbeat is older than this is not dispatched to. */
export const WORKER_STALE_AFTER_MS = 15_000;

/** Workers that serve `tier` (ready, not asked to drain, fresh, the tier's models present), full or not, least loaded first. */
export function liveWorkersFor(workers: WorkerRecord[], tier: z.infer<typeof TierSchema>, now: Date): WorkerRecord[] {
  return workers
    .filter((w) => w.state === 'ready' && !w.drainRequestedAt && now.getTime() - w.heartbeatAt.getTime() < WORKER_STALE_AFTER_MS && w.tiersReady.includes(tier))
    .sort((a, b) => a.running / a.capacity - b.running / b.capacity || a.workerId.localeCompare(b.workerId));
}

/**
 * Workers that can take an attempt at `tier` now, best first: ready, fresh, with room, the tier's
 * models present, least loaded.
 */
export function rankWorkers(workers: WorkerRecord[], tier: z.infer<typeof TierSchema>, now: Date): WorkerRecord[] {
  return liveWorkersFor(workers, tier, now).filter((w) => w.running < w.capacity);
}
