import type { CallableRequest } from 'firebase-functions/v2/https';
import type { Settings } from '../config';

/**
 * Why a callable request must be refused for App Check, or null. `request.app` is set by
 * firebase-functions only for a token it verified (the emulator decodes without verifying); with
 * ENFORCE_APP_CHECK (the default) a request without one is refused. The check is the handler's
 * rather than `onCall({ enforceAppCheck })` so that one parameter turns it off without a code
 * change, and so that the caller reads why.
 */
export function appCheckRefusal(request: Pick<CallableRequest<unknown>, 'app'>, config: Pick<Settings, 'ENFORCE_APP_CHECK'>): string | null {
  if (!config.ENFORCE_APP_CHECK || request.app) return null;
  return 'This app must send an App Check token (App Check is enforced): initialise App Check in the client (see @vidgen/client initAppCheck).';
}
