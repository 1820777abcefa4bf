import { appCheckRefusal } from '../src/api/app-check';
import { parseSettings } from '../src/config';
import { DEFAULTS } from './support/settings';

/** What firebase-functions sets on a callable request for a verified App Check token. */
const verified = { app: { appId: '1:123:web:abc', token: { app_id: '1:123:web:abc' } as never } };

describe('the callables\' App Check check (requireUser refuses with unauthenticated and this message)', () => {
  const enforced = parseSettings(DEFAULTS);
  const off = parseSettings({ ...DEFAULTS, ENFORCE_APP_CHECK: false });

  it('is on by default', () => {
    expect(enforced.ENFORCE_APP_CHECK).toBe(true);
  });

  it('refuses a request without a verified App Check token, saying why and what to do', () => {
    expect(appCheckRefusal({}, enforced)).toMatch(/^This app must send an App Check token \(App Check is enforced\): initialise App Check/);
    expect(appCheckRefusal({ app: undefined }, enforced)).not.toBeNull();
  });

  it('accepts one with a token', () => {
    expect(appCheckRefusal(verified, enforced)).toBeNull();
  });

  it('lets a request without a token through when ENFORCE_APP_CHECK=false', () => {
    expect(appCheckRefusal({}, off)).toBeNull();
  });
});
