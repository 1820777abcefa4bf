import * as logger from 'firebase-functions/logger';
import { defineBoolean, defineInt, defineSecret, defineString } from 'firebase-functions/params';
import { z } from 'zod';
import { BackendPolicySchema, DEFAULT_RETENTION_DAYS, describeIssues, RetentionDaysSchema } from '@vidgen/contract';
import { ModelRefSettingSchema } from './providers/replicate-version';

/** Every callable and task function runs here; clients name it in `getFunctions(app, REGION)`. */
export const REGION = 'us-central1';

/** `runAttempt`'s timeout: the most a task-queue function (and a Cloud Tasks dispatch) may run. */
export const TASK_TIMEOUT_SECONDS = 1800;

/**
 * What a provider's wait must leave of the task's timeout: after the deadline the runner cancels
 * the prediction, waits for its final charge and records the failure, all before the platform
 * kills the invocation (a killed invocation leaves that to the watchdog, a minute or more later).
 */
export const PROVIDER_DEADLINE_MARGIN_SECONDS = 300;
const PROVIDER_WAIT_MAX_SECONDS = TASK_TIMEOUT_SECONDS - PROVIDER_DEADLINE_MARGIN_SECONDS;

export const maxActiveJobsPerUser = defineInt('MAX_ACTIVE_JOBS_PER_USER', {
  default: 5,
  description: 'How many queued or running jobs one user may have at once; more get resource-exhausted.',
});

export const enforceAppCheck = defineBoolean('ENFORCE_APP_CHECK', {
  default: true,
  description: 'Refuse callable requests that carry no valid App Check token (web apps: reCAPTCHA Enterprise; CLI: a debug token).',
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
export const veoTimeoutSeconds = defineInt('VEO_TIMEOUT_SECONDS', { default: 900, description: `How long one Veo segment may take before the attempt fails over (at most ${PROVIDER_WAIT_MAX_SECONDS}).` });
export const veoInvocationSeconds = defineInt('VEO_INVOCATION_SECONDS', {
  default: PROVIDER_WAIT_MAX_SECONDS,
  description: `How long one runAttempt invocation spends on Veo segments before it hands the chain to the next (at most ${PROVIDER_WAIT_MAX_SECONDS}: the rest of the ${TASK_TIMEOUT_SECONDS} s deadline is for download, encoding and storing).`,
});
export const veoCostPerSecond = defineString('VEO_COST_PER_SECOND', { default: '0.40', description: 'USD per second of Veo video, for cost reports.' });

export const replicateApiToken = defineSecret('REPLICATE_API_TOKEN');
export const replicateBaseUrl = defineString('REPLICATE_BASE_URL', { default: '', description: 'Another Replicate API endpoint (empty: Replicate\'s).' });
export const replicateAnimateDiffVersion = defineString('REPLICATE_ANIMATEDIFF_VERSION', {
  default: '',
  description: 'Replicate model version for AnimateDiff: owner/name:<64-hex version id> or the id alone (lucataco/animate-diff:beecf59c…); empty: not on Replicate.',
});
export const replicateSvdVersion = defineString('REPLICATE_SVD_VERSION', {
  default: '',
  description: 'Replicate model version for SVD: owner/name:<64-hex version id> or the id alone (stability-ai/stable-video-diffusion:3f0457e4…); empty: not on Replicate.',
});
export const replicatePollSeconds = defineInt('REPLICATE_POLL_SECONDS', { default: 3, description: 'How often a Replicate prediction is polled.' });
export const replicateTimeoutSeconds = defineInt('REPLICATE_TIMEOUT_SECONDS', {
  default: PROVIDER_WAIT_MAX_SECONDS,
  description: `How long a prediction may take before it is cancelled and the attempt fails over (at most ${PROVIDER_WAIT_MAX_SECONDS}: the cancel needs time inside the ${TASK_TIMEOUT_SECONDS} s task timeout).`,
});
export const replicateAnimateDiffCostPerSecond = defineString('REPLICATE_ANIMATEDIFF_COST_PER_SECOND', {
  default: '0.000975',
  description: 'USD per second of AnimateDiff prediction time: the price of the GPU its model page says it runs on (L40S).',
});
export const replicateSvdCostPerSecond = defineString('REPLICATE_SVD_COST_PER_SECOND', {
  default: '0.0014',
  description: 'USD per second of SVD prediction time: the price of the GPU its model page says it runs on (A100 80GB).',
});

/** RunPod's API key for the GPU fleet; `none` turns autoscaling off. Bound by the watchdog only. */
export const runpodApiKey = defineSecret('RUNPOD_API_KEY');
export const runpodBaseUrl = defineString('RUNPOD_API_BASE_URL', { default: '', description: 'Another RunPod REST API endpoint (empty: RunPod\'s).' });

export const gpuCostPerHour = defineString('GPU_COST_PER_HOUR', {
  default: '0.44',
  description: 'USD per hour of the dearest GPU worker (the workers\' own GPU_COST_PER_HOUR), for the worst case a job reserves against the budgets.',
});
export const gpuAttemptMaxSeconds = defineInt('GPU_ATTEMPT_MAX_SECONDS', {
  default: 1800,
  description: 'How long one attempt may hold a GPU worker, for the worst case a job reserves; an attempt that runs longer is still charged in full.',
});
export const limitsCacheSeconds = defineInt('LIMITS_CACHE_SECONDS', {
  default: 5,
  description: 'How long createVideoJob keeps config/limits before reading it again (0-5): an edit in the console takes effect within this.',
});

export const providerLeaseSeconds = defineInt('PROVIDER_LEASE_SECONDS', {
  default: 60,
  description: 'Lease of an attempt that runAttempt runs on Veo or Replicate, renewed at half its length: an invocation killed mid-run leaves its attempt to be taken up again this long after its last renewal.',
});

export const providerRetryFirstDelayMs = defineInt('PROVIDER_RETRY_FIRST_DELAY_MS', { default: 2000, description: 'First backoff delay after a 429 or 5xx from Veo or Replicate.' });

export const storageBucket = defineString('STORAGE_BUCKET', { default: '', description: 'Bucket for videos (empty: the project\'s default bucket).' });

export const jobRetentionDays = defineInt('JOB_RETENTION_DAYS', {
  default: DEFAULT_RETENTION_DAYS.job,
  description: 'Days a job document is kept after the job ended (Firestore TTL on jobs.expiresAt).',
});
export const videoRetentionDays = defineInt('VIDEO_RETENTION_DAYS', {
  default: DEFAULT_RETENTION_DAYS.video,
  description: 'Days a video is kept (the bucket\'s lifecycle rule on videos/, which npm run retention writes from this value).',
});

const wholeAtLeast = (min: number) => z.number().int({ error: 'must be a whole number' }).min(min, { error: `must be at least ${min}` });
const providerWait = wholeAtLeast(1).max(PROVIDER_WAIT_MAX_SECONDS, {
  error: `must be at most ${PROVIDER_WAIT_MAX_SECONDS}, leaving ${PROVIDER_DEADLINE_MARGIN_SECONDS} s of the ${TASK_TIMEOUT_SECONDS} s task timeout to cancel the work and record what it cost`,
});
const usd = z.string().trim().regex(/^\d+(\.\d+)?$/, { error: 'must be a non-negative number of US dollars, e.g. 0.40' }).transform(Number);
const urlOrEmpty = z.string().trim().refine((value) => value === '' || (/^https?:\/\//.test(value) && URL.canParse(value)), {
  error: 'must be empty (the provider\'s own endpoint) or an http(s) URL',
});

/** Every parameter's resolved value, checked once: what firebase deploy cannot check (ranges, enums, formats). */
export const SettingsSchema = z
  .object({
    MAX_ACTIVE_JOBS_PER_USER: wholeAtLeast(1),
    ENFORCE_APP_CHECK: z.boolean(),
    WORKER_WAIT_SECONDS: wholeAtLeast(1),
    WORKER_REQUEST_TIMEOUT_SECONDS: wholeAtLeast(1),
    BACKEND_POLICY: BackendPolicySchema,
    VEO_MODEL: z.string().trim().min(1, { error: 'must name a Veo model, e.g. veo-3.1-generate-preview' }),
    GEMINI_API_BASE_URL: urlOrEmpty,
    VEO_POLL_SECONDS: wholeAtLeast(1),
    VEO_TIMEOUT_SECONDS: providerWait,
    VEO_INVOCATION_SECONDS: providerWait,
    VEO_COST_PER_SECOND: usd,
    REPLICATE_BASE_URL: urlOrEmpty,
    REPLICATE_ANIMATEDIFF_VERSION: ModelRefSettingSchema,
    REPLICATE_SVD_VERSION: ModelRefSettingSchema,
    REPLICATE_POLL_SECONDS: wholeAtLeast(1),
    REPLICATE_TIMEOUT_SECONDS: providerWait,
    REPLICATE_ANIMATEDIFF_COST_PER_SECOND: usd,
    REPLICATE_SVD_COST_PER_SECOND: usd,
    RUNPOD_API_BASE_URL: urlOrEmpty,
    GPU_COST_PER_HOUR: usd,
    GPU_ATTEMPT_MAX_SECONDS: wholeAtLeast(1),
    LIMITS_CACHE_SECONDS: wholeAtLeast(0).max(5, { error: 'must be at most 5 (operators rely on an edit of config/limits taking effect within 5 s)' }),
    PROVIDER_LEASE_SECONDS: wholeAtLeast(10),
    PROVIDER_RETRY_FIRST_DELAY_MS: wholeAtLeast(0),
    STORAGE_BUCKET: z.string().trim().refine((value) => value === '' || /^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/.test(value), {
      error: 'must be empty (the default bucket) or a bucket name without gs://, e.g. PROJECT.firebasestorage.app',
    }),
    JOB_RETENTION_DAYS: RetentionDaysSchema.shape.job,
    VIDEO_RETENTION_DAYS: RetentionDaysSchema.shape.video,
  })
  .refine((values) => values.VEO_TIMEOUT_SECONDS <= values.VEO_INVOCATION_SECONDS, {
    path: ['VEO_INVOCATION_SECONDS'],
    error: 'must be at least VEO_TIMEOUT_SECONDS: an invocation starts a Veo segment only when a whole segment fits',
  })
  .refine((values) => values.JOB_RETENTION_DAYS >= values.VIDEO_RETENTION_DAYS, {
    path: ['JOB_RETENTION_DAYS'],
    error: 'must be at least VIDEO_RETENTION_DAYS, so that a job whose video expired still says so',
  });
export type Settings = z.infer<typeof SettingsSchema>;

/** The retention a new job carries, from the parameters. */
export function retentionOf(config: Settings): { job: number; video: number } {
  return { job: config.JOB_RETENTION_DAYS, video: config.VIDEO_RETENTION_DAYS };
}

const secretValue = z.string().transform((value) => value.trim()).transform((value) => (value && value !== 'none' ? value : null));

/** The secrets, for the functions that bind them; empty or "none" leaves that backend off. */
export const SecretsSchema = z.object({
  WORKER_SHARED_SECRET: secretValue.refine((value) => value === null || value.length >= 16, {
    error: 'must be at least 16 characters (the same value as the workers\' WORKER_SHARED_SECRET)',
  }),
  GEMINI_API_KEY: secretValue,
  REPLICATE_API_TOKEN: secretValue,
});
export type Secrets = z.infer<typeof SecretsSchema>;

/** A parameter or secret with a value this code cannot run with; the message names each variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`Invalid functions configuration: ${problems.join('; ')}`);
  }
}

/** Checks resolved parameter values; throws {@link ConfigError} naming every bad variable. */
export function parseSettings(values: Record<string, unknown>): Settings {
  const result = SettingsSchema.safeParse(values);
  if (!result.success) throw new ConfigError(describeIssues(result.error));
  return result.data;
}

/** Checks the secrets (never echoing them); the workers' secret may be off only when no worker is ever used. */
export function parseSecrets(values: Record<string, unknown>, policy: Settings['BACKEND_POLICY']): Secrets {
  const result = SecretsSchema.safeParse(values);
  if (!result.success) throw new ConfigError(describeIssues(result.error));
  if (result.data.WORKER_SHARED_SECRET === null && policy !== 'replicate-only') {
    throw new ConfigError(['WORKER_SHARED_SECRET: must be set (at least 16 characters) unless BACKEND_POLICY is replicate-only']);
  }
  return result.data;
}

/** A value computed on first use and kept, failure included: parameters cannot change in a running instance. */
export function once<T>(load: () => T): () => T {
  let outcome: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
  return () => {
    if (!outcome) {
      try {
        outcome = { ok: true, value: load() };
      } catch (error) {
        outcome = { ok: false, error };
      }
    }
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  };
}

const PARAMS = {
  MAX_ACTIVE_JOBS_PER_USER: maxActiveJobsPerUser,
  ENFORCE_APP_CHECK: enforceAppCheck,
  WORKER_WAIT_SECONDS: workerWaitSeconds,
  WORKER_REQUEST_TIMEOUT_SECONDS: workerRequestTimeoutSeconds,
  BACKEND_POLICY: backendPolicy,
  VEO_MODEL: veoModel,
  GEMINI_API_BASE_URL: geminiBaseUrl,
  VEO_POLL_SECONDS: veoPollSeconds,
  VEO_TIMEOUT_SECONDS: veoTimeoutSeconds,
  VEO_INVOCATION_SECONDS: veoInvocationSeconds,
  VEO_COST_PER_SECOND: veoCostPerSecond,
  REPLICATE_BASE_URL: replicateBaseUrl,
  REPLICATE_ANIMATEDIFF_VERSION: replicateAnimateDiffVersion,
  REPLICATE_SVD_VERSION: replicateSvdVersion,
  REPLICATE_POLL_SECONDS: replicatePollSeconds,
  REPLICATE_TIMEOUT_SECONDS: replicateTimeoutSeconds,
  REPLICATE_ANIMATEDIFF_COST_PER_SECOND: replicateAnimateDiffCostPerSecond,
  REPLICATE_SVD_COST_PER_SECOND: replicateSvdCostPerSecond,
  RUNPOD_API_BASE_URL: runpodBaseUrl,
  GPU_COST_PER_HOUR: gpuCostPerHour,
  GPU_ATTEMPT_MAX_SECONDS: gpuAttemptMaxSeconds,
  LIMITS_CACHE_SECONDS: limitsCacheSeconds,
  PROVIDER_LEASE_SECONDS: providerLeaseSeconds,
  PROVIDER_RETRY_FIRST_DELAY_MS: providerRetryFirstDelayMs,
  STORAGE_BUCKET: storageBucket,
  JOB_RETENTION_DAYS: jobRetentionDays,
  VIDEO_RETENTION_DAYS: videoRetentionDays,
} satisfies Record<keyof Settings, { value(): unknown }>;

/**
 * The parameters, parsed once per instance on first use (params' values exist only at run time, not
 * at import). Throws the same {@link ConfigError} on every call when a value is bad.
 */
export const settings = once(() => parseSettings(Object.fromEntries(Object.entries(PARAMS).map(([name, param]) => [name, param.value()]))));

/** The secrets, parsed once; only in functions that bind them (`secrets: [...]`), or they read as empty. */
export const secrets = once(() =>
  parseSecrets(
    { WORKER_SHARED_SECRET: workerSecret.value(), GEMINI_API_KEY: geminiApiKey.value(), REPLICATE_API_TOKEN: replicateApiToken.value() },
    settings().BACKEND_POLICY,
  ),
);

/** Stable field a log-based metric counts (README, "Log-based metrics"): one entry per refused invocation. */
export const CONFIG_INVALID_METRIC = 'config_invalid';

/**
 * Reads configuration for a function invocation; on a {@link ConfigError} logs it loudly (naming the
 * variables) and returns null, so that a task handler ends instead of being retried for a value only
 * a redeploy can change. Other errors propagate.
 */
export function configOrNull<T>(read: () => T, functionName: string, report: (message: string, fields: object) => void = logger.error): T | null {
  try {
    return read();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    report(`${error.message}. Fix the parameter (functions/.env.<project>) or secret and deploy again.`, {
      metric: CONFIG_INVALID_METRIC,
      function: functionName,
      problems: error.problems,
    });
    return null;
  }
}
