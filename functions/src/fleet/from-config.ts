import { parseRunpodApiKey, RunpodClient } from '@vidgen/runpod';
import { once, runpodApiKey, settings } from '../config';
import { getServices } from '../services';
import { FleetController } from './controller';

/**
 * The fleet controller, made once per instance: null when `RUNPOD_API_KEY` is `none` (or empty),
 * which turns autoscaling off whatever `config/fleet` says. Only in a function that binds the
 * secret. Throws a ConfigError, every time, when a parameter is bad.
 */
export const fleetController = once((): FleetController | null => {
  const key = parseRunpodApiKey(runpodApiKey.value());
  if (key.state !== 'on') return null;
  const runpod = new RunpodClient({ apiKey: key.apiKey, baseUrl: settings().RUNPOD_API_BASE_URL || undefined });
  return new FleetController({ db: getServices().db, runpod });
});
