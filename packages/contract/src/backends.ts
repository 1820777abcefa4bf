import { z } from 'zod';
import type { Backend, Tier } from './tiers';

/**
 * How the ComfyUI tiers pick a backend: `prefer-comfyui` uses our GPU workers when one is live with
 * room and Replicate otherwise; the `-only` policies never use the other.
 */
export const BackendPolicySchema = z.enum(['prefer-comfyui', 'comfyui-only', 'replicate-only']);
export type BackendPolicy = z.infer<typeof BackendPolicySchema>;

export interface BackendSituation {
  policy: BackendPolicy;
  /** A live worker with room and this tier's models reports now. */
  workerWithRoom: boolean;
  /** A Replicate token and a model for this tier are configured, and that model makes what the request asks. */
  replicateReady: boolean;
  /** Why Replicate is not ready, for the failure a replicate-only policy reports. */
  replicateRefusal?: string;
  /** Veo's API key is configured. */
  geminiReady: boolean;
}

/** `wait`: no backend now, but a worker may free up (Cloud Tasks retries); `unavailable`: none will. */
export type BackendChoice = { kind: 'run'; backend: Backend } | { kind: 'wait' } | { kind: 'unavailable'; reason: string };

export function chooseBackend(tier: Tier, situation: BackendSituation): BackendChoice {
  if (tier === 'veo') {
    return situation.geminiReady ? { kind: 'run', backend: 'gemini' } : { kind: 'unavailable', reason: 'No Gemini API key is configured for Veo.' };
  }
  const { policy, workerWithRoom, replicateReady } = situation;
  if (policy === 'replicate-only') {
    if (replicateReady) return { kind: 'run', backend: 'replicate' };
    return { kind: 'unavailable', reason: `The backend policy is replicate-only, and Replicate cannot run ${tier}${situation.replicateRefusal ? `: ${situation.replicateRefusal}` : '.'}` };
  }
  if (workerWithRoom) return { kind: 'run', backend: 'comfyui' };
  if (policy === 'prefer-comfyui' && replicateReady) return { kind: 'run', backend: 'replicate' };
  return { kind: 'wait' };
}
