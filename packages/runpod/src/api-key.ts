/** The value of `RUNPOD_API_KEY` that turns RunPod autoscaling off. */
export const RUNPOD_AUTOSCALING_OFF = 'none';

/** What `RUNPOD_API_KEY` says: a key to use, autoscaling off (`none`), or nothing set. */
export type RunpodApiKeySetting = { state: 'on'; apiKey: string } | { state: 'off' } | { state: 'unset' };

/**
 * Reads a `RUNPOD_API_KEY` value. `none` (any case, surrounding blanks ignored) means off; an
 * absent or blank value is `unset`, which the caller decides how to treat (a secret cannot be
 * empty, so `none` is how an operator says "no RunPod").
 */
export function parseRunpodApiKey(value: string | undefined): RunpodApiKeySetting {
  const trimmed = value?.trim() ?? '';
  if (trimmed === '') return { state: 'unset' };
  if (trimmed.toLowerCase() === RUNPOD_AUTOSCALING_OFF) return { state: 'off' };
  return { state: 'on', apiKey: trimmed };
}
