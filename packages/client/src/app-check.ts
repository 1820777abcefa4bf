import type { FirebaseApp } from 'firebase/app';
import { CustomProvider, initializeAppCheck, ReCaptchaEnterpriseProvider, type AppCheck } from 'firebase/app-check';

/**
 * How a client proves to the functions that it is our app (App Check), which they require unless
 * the deployment sets `ENFORCE_APP_CHECK=false`:
 *
 * - `siteKey`: a web app in a browser, attested by reCAPTCHA Enterprise (the key registered for the
 *   web app in the Firebase console, App Check). Add `debugToken` on a developer machine or in CI,
 *   where reCAPTCHA would not attest: the SDK then exchanges that token instead.
 * - `debugToken` alone: a program outside a browser (the CLI, a script): a debug token created for
 *   the web app in the console (App Check > Apps > Manage debug tokens). Keep it secret.
 * - `emulator`: the local stack. The functions emulator decodes App Check tokens without verifying
 *   them (and Google's token exchange is out of reach), so this mints an unsigned token naming the
 *   app; it is worthless against a real project, where tokens are verified.
 */
export type AppCheckSetup = { siteKey: string; debugToken?: string } | { debugToken: string } | { emulator: true };

/** Where the web SDK looks for a debug token when App Check starts (`self.FIREBASE_APPCHECK_DEBUG_TOKEN`). */
interface DebugTokenGlobal {
  FIREBASE_APPCHECK_DEBUG_TOKEN?: string | boolean;
}

const HOUR_MS = 3_600_000;

function base64url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** An unsigned App Check token as the emulator reads one: `sub` is the app id, `aud` the project. */
export function emulatorAppCheckToken(appId: string, projectId: string, now = Date.now()): { token: string; expireTimeMillis: number } {
  const iat = Math.floor(now / 1000);
  const claims = { iss: 'https://firebaseappcheck.googleapis.com/local', sub: appId, aud: [`projects/${projectId}`], iat, exp: iat + 3600 };
  return { token: `${base64url(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${base64url(JSON.stringify(claims))}.unsigned`, expireTimeMillis: now + HOUR_MS };
}

/**
 * Starts App Check for `app`, so that every call of `createVideoJob` / `cancelVideoJob` (and the
 * Firestore and Storage requests) carries a token. Call it once, right after `initializeApp`, before
 * the first call. Returns the App Check instance (for `getToken`, `onTokenChanged`).
 */
export function initAppCheck(app: FirebaseApp, setup: AppCheckSetup): AppCheck {
  if ('emulator' in setup) {
    const appId = app.options.appId ?? app.name;
    const projectId = app.options.projectId ?? 'demo';
    // Tokens are made on demand and cached by the SDK; no refresh timer keeps a process alive.
    return initializeAppCheck(app, { provider: new CustomProvider({ getToken: async () => emulatorAppCheckToken(appId, projectId) }), isTokenAutoRefreshEnabled: false });
  }
  if (setup.debugToken) {
    // Read once, when App Check first starts in this page or process.
    (globalThis as DebugTokenGlobal).FIREBASE_APPCHECK_DEBUG_TOKEN = setup.debugToken;
  }
  if ('siteKey' in setup) {
    return initializeAppCheck(app, { provider: new ReCaptchaEnterpriseProvider(setup.siteKey), isTokenAutoRefreshEnabled: true });
  }
  // Outside a browser there is no reCAPTCHA to start: with a debug token the SDK never asks the
  // provider for a token, it exchanges the debug token with App Check instead.
  const noAttestation = new CustomProvider({
    getToken: () => Promise.reject(new Error('App Check has no attestation provider here; pass a debug token')),
  });
  return initializeAppCheck(app, { provider: noAttestation, isTokenAutoRefreshEnabled: false });
}
