import { defineBoolean, defineInt, defineSecret, defineString } from 'firebase-functions/params';

/** Every callable and task function runs here; clients name it in `getFunctions(app, REGION)`. */
export const REGION = 'us-central1';

export const maxActiveJobsPerUser = defineInt('MAX_ACTIVE_JOBS_PER_USER', {
  default: 5,
  description: 'How many queued or running jobs one user may have at once; more get resource-exhausted.',
});

export const enforceAppCheck = defineBoolean('ENFORCE_APP_CHECK', {
  default: false,
  description: 'Refuse callable requests that carry no valid App Check token.',
});

export const workerWaitSeconds = defineInt('WORKER_WAIT_SECONDS', {
  default: 300,
  description: 'How long an attempt waits for a GPU worker with room before the plan moves to the next tier.',
});

export const workerRequestTimeoutSeconds = defineInt('WORKER_REQUEST_TIMEOUT_SECONDS', {
  default: 10,
  description: 'How long the dispatcher waits for a worker to accept an attempt.',
});

export const workerSecret = defineSecret('WORKER_SHARED_SECRET');

export const backendPolicy = defineString('BACKEND_POLICY', {
  default: 'prefer-comfyui',
  description: 'How AnimateDiff and SVD pick a backend: prefer-comfyui (our GPU workers when one has room, else Replicate), comfyui-only, replicate-only.',
});

export const geminiApiKey = defineSecret('GEMINI_API_KEY');
export const veoModel = defineString('VEO_MODEL', { default: 'veo-3.1-generate-preview', description: 'The Veo model id for tier 1.' });
export const geminiBaseUrl = defineString('GEMINI_API_BASE_URL', { default: '', description: 'Another Gemini API endpoint (empty: Google\'s).' });
export const veoPollSeconds = defineInt('VEO_POLL_SECONDS', { default: 10, description: 'How often a Veo operation is polled.' });
export const veoTimeoutSeconds = defineInt('VEO_TIMEOUT_SECONDS', { default: 900, description: 'How long one Veo segment may take before the attempt fails over.' });
export const veoCostPerSecond = defineString('VEO_COST_PER_SECOND', { default: '0.40', description: 'USD per second of Veo video, for cost reports.' });

export const replicateApiToken = defineSecret('REPLICATE_API_TOKEN');
export const replicateBaseUrl = defineString('REPLICATE_BASE_URL', { default: '', description: 'Another Replicate API endpoint (empty: Replicate\'s).' });
export const replicateAnimateDiffVersion = defineString('REPLICATE_ANIMATEDIFF_VERSION', { default: '', description: 'Replicate model version for AnimateDiff (e.g. lucataco/animate-diff); empty: not on Replicate.' });
export const replicateSvdVersion = defineString('REPLICATE_SVD_VERSION', { default: '', description: 'Replicate model version for SVD (stability-ai/stable-video-diffusion); empty: not on Replicate.' });
export const replicatePollSeconds = defineInt('REPLICATE_POLL_SECONDS', { default: 3, description: 'How often a Replicate prediction is polled.' });
export const replicateTimeoutSeconds = defineInt('REPLICATE_TIMEOUT_SECONDS', { default: 1800, description: 'How long a prediction may take before it is cancelled and the attempt fails over.' });
export const replicateCostPerSecond = defineString('REPLICATE_COST_PER_SECOND', { default: '0.000975', description: 'USD per second of prediction time (L40S list price), for cost reports.' });

export const providerRetryFirstDelayMs = defineInt('PROVIDER_RETRY_FIRST_DELAY_MS', { default: 2000, description: 'First backoff delay after a 429 or 5xx from Veo or Replicate.' });

export const storageBucket = defineString('STORAGE_BUCKET', { default: '', description: 'Bucket for videos (empty: the project\'s default bucket).' });

/** A secret counts as configured unless empty or "none" (deploy needs every declared secret set). */
export function configured(secret: { value(): string }): string | null {
  const value = secret.value().trim();
  return value && value !== 'none' ? value : null;
}
