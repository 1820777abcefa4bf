import { z } from 'zod';

/** RunPod's operation ids for the routes the simulator serves. */
export const RunpodOperationSchema = z.enum(['listPods', 'getPod', 'createPod', 'updatePod', 'deletePod', 'podAction', 'listPodBilling']);
export type RunpodOperation = z.infer<typeof RunpodOperationSchema>;

export const RunpodOutcomeSchema = z.enum(['no_capacity', 'rate_limited', 'server_error']);
export type RunpodOutcome = z.infer<typeof RunpodOutcomeSchema>;

/** One scripted outcome. */
export const RunpodScriptSpecSchema = z
  .object({
    outcome: RunpodOutcomeSchema.describe(
      'no_capacity: a create (or a start) of the GPU type gets 400 with no instances available; rate_limited: 429 with Retry-After; server_error: a 5xx',
    ),
    gpuTypeId: z.string().min(1).optional().describe('no_capacity only: the GPU type refused; absent: every type'),
    operation: RunpodOperationSchema.optional().describe('the operation hit; absent: any (no_capacity: createPod and a start)'),
    times: z.number().int().min(1).default(1).describe('how many matching requests it applies to'),
    retryAfterSeconds: z.number().int().min(0).default(1).describe('rate_limited: the Retry-After sent'),
    status: z.union([z.literal(500), z.literal(502), z.literal(503)]).default(500).describe('server_error: the status sent'),
  })
  .strict();
export type RunpodScriptSpec = z.infer<typeof RunpodScriptSpecSchema>;
export type RunpodScriptEntry = RunpodScriptSpec & { id: number; remaining: number; used: number };

/** What a request is, for matching script entries. */
export interface RunpodRequestKey {
  operation: RunpodOperation;
  /** For a create or a start: the GPU type asked for. */
  gpuTypeId?: string;
}

/** Scripted outcomes, checked in the order added; an entry is dropped once its uses are spent. */
export class RunpodScript {
  private entries: RunpodScriptEntry[] = [];
  private nextId = 1;

  add(spec: RunpodScriptSpec): RunpodScriptEntry {
    const entry = { ...spec, id: this.nextId++, remaining: spec.times, used: 0 };
    this.entries.push(entry);
    return { ...entry };
  }

  /** The first entry of one of `outcomes` that matches `key`, with one use taken. */
  take(outcomes: readonly RunpodOutcome[], key: RunpodRequestKey): RunpodScriptEntry | undefined {
    const entry = this.entries.find((candidate) => outcomes.includes(candidate.outcome) && matches(candidate, key));
    if (!entry) return undefined;
    entry.used += 1;
    entry.remaining -= 1;
    if (entry.remaining <= 0) this.entries = this.entries.filter((candidate) => candidate !== entry);
    return { ...entry };
  }

  clear(): number {
    const count = this.entries.length;
    this.entries = [];
    return count;
  }

  list(): RunpodScriptEntry[] {
    return this.entries.map((entry) => ({ ...entry }));
  }
}

function matches(entry: RunpodScriptSpec, key: RunpodRequestKey): boolean {
  if (entry.operation !== undefined && entry.operation !== key.operation) return false;
  if (entry.outcome !== 'no_capacity') return true;
  if (key.gpuTypeId === undefined) return false;
  return entry.gpuTypeId === undefined || entry.gpuTypeId === key.gpuTypeId;
}
