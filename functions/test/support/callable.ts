import type { CallableRequest } from 'firebase-functions/v2/https';
import { DEFAULTS } from './settings';

/** Sets the parameters as firebase deploy would (params read process.env at run time), with `overrides`. */
export function deployParameters(overrides: Record<string, string | number | boolean> = {}): void {
  Object.assign(process.env, Object.fromEntries(Object.entries({ ...DEFAULTS, ENFORCE_APP_CHECK: false, ...overrides }).map(([name, value]) => [name, String(value)])));
}

/** A signed-in caller's request, as firebase-functions hands it to the handler. */
export function callAs(uid: string, data: Record<string, unknown>): CallableRequest<unknown> {
  return { data, auth: { uid, token: { firebase: { sign_in_provider: 'password' } } }, rawRequest: {} } as unknown as CallableRequest<unknown>;
}
