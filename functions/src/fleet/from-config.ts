import { parseRunpodApiKey, RunpodClient } from '@vidgen/runpod';
import { once, runpodApiKey, settings } from '../config';
import { getServices } from '../services';
import { FleetController, FLEET_RUNPOD_CALLS } from './controller';

/**
 * The fleet controller, made once per instance: null when `RUNPOD_API_KEY` is `none` (or empty),
 * which turns autoscaling off whatever `config/fleet` says. Under BACKEND_POLICY replicate-only no
 * attempt ever runs on a pod, so its ticks only say so. Only in a function that binds the secret.
 * Throws a ConfigError, every time, when a parameter is bad.
 */
export const fleetController = once((): FleetController | null => {
  const key = parseRunpodApiKey(runpodApiKey.value());
  if (key.state !== 'on') return null;
  const config = settings();
  const runpod = new RunpodClient({ apiKey: key.apiKey, baseUrl: config.RUNPOD_API_BASE_URL || undefined, ...FLEET_RUNPOD_CALLS });
  const offReason = config.BACKEND_POLICY === 'replicate-only' ? 'BACKEND_POLICY is replicate-only: no attempt runs on a pod, so the fleet creates none' : undefined;
  return new FleetController({ db: getServices().db, runpod, reservedUsdPerHour: config.GPU_COST_PER_HOUR, ...(offReason ? { offReason } : {}) });
});
