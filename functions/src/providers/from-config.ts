import type { PlaceAttemptOptions } from '../orchestration/place-attempt';
import { once, secrets, settings, type Secrets, type Settings } from '../config';
import { ReplicateProvider } from './replicate';
import { DEFAULT_RETRY } from './retry';
import { VeoProvider } from './veo';

function retry(config: Settings) {
  return { ...DEFAULT_RETRY, firstDelayMs: config.PROVIDER_RETRY_FIRST_DELAY_MS };
}

/** Veo as configured, or null when no Gemini API key is set (the tier is then unavailable). */
export function veoFromConfig(config: Settings, keys: Secrets): VeoProvider | null {
  if (!keys.GEMINI_API_KEY) return null;
  return new VeoProvider({
    apiKey: keys.GEMINI_API_KEY,
    model: config.VEO_MODEL,
    baseUrl: config.GEMINI_API_BASE_URL || undefined,
    pollMs: config.VEO_POLL_SECONDS * 1000,
    timeoutMs: config.VEO_TIMEOUT_SECONDS * 1000,
    invocationBudgetMs: config.VEO_INVOCATION_SECONDS * 1000,
    costPerSecond: config.VEO_COST_PER_SECOND,
    retry: retry(config),
  });
}

/** Replicate as configured, or null when no token is set. */
export function replicateFromConfig(config: Settings, keys: Secrets): ReplicateProvider | null {
  if (!keys.REPLICATE_API_TOKEN) return null;
  return new ReplicateProvider({
    token: keys.REPLICATE_API_TOKEN,
    baseUrl: config.REPLICATE_BASE_URL || undefined,
    models: {
      ...(config.REPLICATE_ANIMATEDIFF_VERSION ? { animatediff: config.REPLICATE_ANIMATEDIFF_VERSION } : {}),
      ...(config.REPLICATE_SVD_VERSION ? { svd: config.REPLICATE_SVD_VERSION } : {}),
    },
    pollMs: config.REPLICATE_POLL_SECONDS * 1000,
    timeoutMs: config.REPLICATE_TIMEOUT_SECONDS * 1000,
    costPerSecond: { animatediff: config.REPLICATE_ANIMATEDIFF_COST_PER_SECOND, svd: config.REPLICATE_SVD_COST_PER_SECOND },
    retry: retry(config),
  });
}

/**
 * What `runAttempt` runs with, made once per instance from the parsed parameters and secrets (the
 * providers' clients included) rather than on every task delivery. Throws a ConfigError, every time,
 * when a value is bad.
 */
export const placeAttemptOptions = once((): PlaceAttemptOptions => {
  const config = settings();
  const keys = secrets();
  return {
    workerSecret: keys.WORKER_SHARED_SECRET ?? '',
    workerWaitMs: config.WORKER_WAIT_SECONDS * 1000,
    workerRequestTimeoutMs: config.WORKER_REQUEST_TIMEOUT_SECONDS * 1000,
    providerLeaseMs: config.PROVIDER_LEASE_SECONDS * 1000,
    policy: config.BACKEND_POLICY,
    veo: veoFromConfig(config, keys),
    replicate: replicateFromConfig(config, keys),
  };
});
