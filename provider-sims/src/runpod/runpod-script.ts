import { z } from 'zod';
import { ScriptBook, type ScriptEntry } from '../shared/script-book';

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
export type RunpodScriptEntry = ScriptEntry<RunpodScriptSpec>;

/** What a request is, for matching script entries. */
export interface RunpodRequestKey {
  operation: RunpodOperation;
  /** For a create or a start: the GPU type asked for. */
  gpuTypeId?: string;
}

/** Scripted outcomes, checked in the order added; an entry is dropped once its uses are spent. */
export class RunpodScript {
  private readonly book = new ScriptBook<RunpodScriptSpec>((spec) => spec.times);

  add(spec: RunpodScriptSpec): RunpodScriptEntry {
    return this.book.add(spec);
  }

  /** The first entry of one of `outcomes` that matches `key`, with one use taken. */
  take(outcomes: readonly RunpodOutcome[], key: RunpodRequestKey): RunpodScriptEntry | undefined {
    return this.book.takeFirst((entry) => outcomes.includes(entry.outcome) && matches(entry, key));
  }

  clear(): number {
    return this.book.clear();
  }

  list(): RunpodScriptEntry[] {
    return this.book.list();
  }
}

function matches(entry: RunpodScriptSpec, key: RunpodRequestKey): boolean {
  if (entry.operation !== undefined && entry.operation !== key.operation) return false;
  if (entry.outcome !== 'no_capacity') return true;
  if (key.gpuTypeId === undefined) return false;
  return entry.gpuTypeId === undefined || entry.gpuTypeId === key.gpuTypeId;
}
