import { z } from 'zod';

/** What happens to a prediction. */
export const ReplicateOutcomeSchema = z
  .enum(['success', 'failed', 'rate_limited_then_success', 'never_finishes', 'server_error', 'aborted'])
  .describe('succeeds; fails with a CUDA OOM; 429 on create; stays processing; succeeds but GET answers 500 at first; ends `aborted` without starting');
export type ReplicateOutcome = z.infer<typeof ReplicateOutcomeSchema>;

/** A scripted outcome, as `POST /sim/script` takes it. */
export const ReplicateScriptSpecSchema = z
  .object({
    promptContains: z.string().min(1).optional().describe('applies only when the JSON-encoded input contains this text; any input when absent'),
    outcome: ReplicateOutcomeSchema,
    times: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('rate_limited_then_success: creates refused with 429; server_error: GETs of the prediction answered 500; others: predictions it applies to. Default 1 (success: until cleared)'),
    latencyMs: z.number().min(0).optional().describe('processing time of the predictions it makes; default the simulator predictMs'),
    answerDelayMs: z
      .number()
      .min(0)
      .optional()
      .describe('how long the create request is answered after its prediction exists and runs (a slow answer): the caller learns the id late'),
    message: z.string().min(1).optional().describe('the prediction error (failed) or the 500 detail (server_error)'),
  })
  .strict();
export type ReplicateScriptSpec = z.infer<typeof ReplicateScriptSpecSchema>;


/** Create requests an entry applies to (see `times`). */
export function replicateUses(spec: ReplicateScriptSpec): number | null {
  if (spec.outcome === 'server_error') return 1;
  return spec.times ?? (spec.outcome === 'success' ? null : 1);
}

/** The default error of a failed prediction. */
export const DEFAULT_FAILURE =
  'CUDA out of memory. Tried to allocate 2.50 GiB. GPU 0 has a total capacity of 39.39 GiB of which 1.06 GiB is free. Of the allocated memory 35.12 GiB is allocated by PyTorch, and 1.98 GiB is reserved by PyTorch but unallocated.';
