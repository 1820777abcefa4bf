import { ApiError } from '@google/genai';
import { JobError } from '@vidgen/contract';

/**
 * How the Gemini API words a prompt or image refused at submit time by its safety filters: a 400
 * INVALID_ARGUMENT whose message says so ("The prompt could not be submitted. This prompt contains
 * sensitive words that violate Google's Responsible AI practices...", or "...Gemini API's usage
 * guidelines"), as seen in reports against veo-3.x on the Gemini API and Vertex.
 */
const SAFETY_REFUSAL = /responsible ai|usage guidelines|safety (filter|setting)|could not be submitted/i;

/**
 * Maps the Gemini API's failures to our codes: 429 and 5xx are transient; a 400 is final, unless it
 * is a safety refusal (then another tier may still make the video); 401/403 a configuration problem.
 */
export function classifyVeoError(error: unknown): JobError {
  if (JobError.is(error)) return error;
  if (error instanceof ApiError) {
    if (error.status === 429) return new JobError('provider_rate_limited', `Veo is rate limiting us: ${error.message}`, { cause: error });
    if (error.status >= 500) return new JobError('provider_unavailable', `Veo failed with ${error.status}: ${error.message}`, { cause: error });
    if (error.status === 401 || error.status === 403) return new JobError('tier_unavailable', `Veo refused the API key (${error.status}).`, { cause: error });
    if (error.status === 400 && SAFETY_REFUSAL.test(error.message)) {
      return new JobError('safety_filtered', `Veo refused the request under its safety filters: ${error.message}`, { cause: error });
    }
    return new JobError('provider_bad_request', `Veo refused the request: ${error.message}`, { cause: error });
  }
  return new JobError('provider_unavailable', `Veo could not be reached: ${(error as Error).message}`, { cause: error });
}

/** A done operation's `error` (google.rpc.Status) as our code. */
export function operationFailure(error: Record<string, unknown>): JobError {
  const code = Number(error.code);
  const message = typeof error.message === 'string' ? error.message : 'no message';
  if (code === 8 || code === 429) return new JobError('provider_rate_limited', `Veo ran out of quota: ${message}`);
  if ((code === 3 || code === 400) && SAFETY_REFUSAL.test(message)) return new JobError('safety_filtered', `Veo refused the request under its safety filters: ${message}`);
  if (code === 3 || code === 400) return new JobError('provider_bad_request', `Veo refused the request: ${message}`);
  return new JobError('provider_failed', `Veo failed to make the video: ${message}`);
}
