import {
  configured,
  geminiApiKey,
  geminiBaseUrl,
  providerRetryFirstDelayMs,
  replicateAnimateDiffVersion,
  replicateApiToken,
  replicateBaseUrl,
  replicateCostPerSecond,
  replicatePollSeconds,
  replicateSvdVersion,
  replicateTimeoutSeconds,
  veoCostPerSecond,
  veoModel,
  veoPollSeconds,
  veoTimeoutSeconds,
} from '../config';
import { ReplicateProvider } from './replicate';
import { DEFAULT_RETRY } from './retry';
import { VeoProvider } from './veo';

function retry() {
  return { ...DEFAULT_RETRY, firstDelayMs: providerRetryFirstDelayMs.value() };
}

function rate(value: string, name: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0) throw new Error(`${name} must be a non-negative number, not "${value}"`);
  return parsed;
}

/** Veo as configured, or null when no Gemini API key is set (the tier is then unavailable). */
export function veoFromConfig(): VeoProvider | null {
  const apiKey = configured(geminiApiKey);
  if (!apiKey) return null;
  return new VeoProvider({
    apiKey,
    model: veoModel.value(),
    baseUrl: geminiBaseUrl.value() || undefined,
    pollMs: veoPollSeconds.value() * 1000,
    timeoutMs: veoTimeoutSeconds.value() * 1000,
    costPerSecond: rate(veoCostPerSecond.value(), 'VEO_COST_PER_SECOND'),
    retry: retry(),
  });
}

/** Replicate as configured, or null when no token is set. */
export function replicateFromConfig(): ReplicateProvider | null {
  const token = configured(replicateApiToken);
  if (!token) return null;
  return new ReplicateProvider({
    token,
    baseUrl: replicateBaseUrl.value() || undefined,
    versions: {
      ...(replicateAnimateDiffVersion.value() ? { animatediff: replicateAnimateDiffVersion.value() } : {}),
      ...(replicateSvdVersion.value() ? { svd: replicateSvdVersion.value() } : {}),
    },
    pollMs: replicatePollSeconds.value() * 1000,
    timeoutMs: replicateTimeoutSeconds.value() * 1000,
    costPerSecond: rate(replicateCostPerSecond.value(), 'REPLICATE_COST_PER_SECOND'),
    retry: retry(),
  });
}
