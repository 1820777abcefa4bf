import { z } from 'zod';

/** What happens to a generation request. */
export const VeoOutcomeSchema = z
  .enum(['success', 'rate_limited_then_success', 'safety_filtered', 'safety_refused', 'operation_error', 'never_finishes', 'bad_request', 'server_error'])
  .describe('success; 429 RESOURCE_EXHAUSTED on create; done with no samples and raiMediaFilteredReasons; 400 on create with a safety reason; done with error; never done; 400 on create; 500 on create');
export type VeoOutcome = z.infer<typeof VeoOutcomeSchema>;

/** A scripted outcome, as `POST /sim/script` takes it. */
export const VeoScriptSpecSchema = z
  .object({
    promptContains: z.string().min(1).optional().describe('applies only to prompts containing this text; any prompt when absent'),
    outcome: VeoOutcomeSchema,
    times: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('matching create requests it applies to (for rate_limited_then_success and server_error: the failed creates); default 1, and until cleared for success'),
    latencyMs: z.number().min(0).optional().describe('time from create to done for the operations it makes; default the simulator latency'),
    message: z.string().min(1).optional().describe('the error message (bad_request, operation_error, server_error) or the filter reason (safety_filtered)'),
  })
  .strict();
export type VeoScriptSpec = z.infer<typeof VeoScriptSpecSchema>;


/** Create requests an entry applies to: `times`, else once, except `success`, which lasts until cleared. */
export function veoUses(spec: VeoScriptSpec): number | null {
  return spec.times ?? (spec.outcome === 'success' ? null : 1);
}

/** The default safety filter reason. */
export const DEFAULT_SAFETY_REASON =
  "The prompt could not be submitted. This prompt contains words that violate Gemini API's usage guidelines. Try rephrasing the prompt. If you think this was an error, send feedback.";

/**
 * The 400 INVALID_ARGUMENT message of a prompt refused at submit time, worded as users report
 * Veo's (GitHub issues against Veo 3 pipelines, 2025).
 */
export const DEFAULT_SAFETY_REFUSAL =
  "The prompt could not be submitted. This prompt contains sensitive words that violate Google's Responsible AI practices. Try rephrasing your prompt. Support codes: 58061214";

/** The default error of a failed operation. */
export const DEFAULT_OPERATION_ERROR = { code: 13, message: 'Video generation failed due to an internal error. Please try again.' };
