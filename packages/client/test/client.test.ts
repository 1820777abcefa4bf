import { createJob, type Job } from '@vidgen/contract';
import { emulatorAppCheckToken, isVideoExpired } from '@vidgen/client';

const DAY_MS = 86_400_000;

describe('isVideoExpired', () => {
  const base = createJob({ ownerUid: 'u', request: { prompt: 'p', model: 'animatediff' }, plan: ['animatediff'], now: new Date(0) }).job;
  const output = { storagePath: 's', downloadUrl: 'd', mimeType: 'video/mp4' as const, width: 512, height: 512, frameCount: 24, fps: 8, durationSeconds: 3, sizeBytes: 1, posterPath: 'p', posterUrl: 'q' };
  const succeeded = (expiresAt: Date | null): Job => ({ ...base, state: 'succeeded', attempt: null, output: { ...output, expiresAt } });

  it('is true once the output\'s expiresAt has passed, for a succeeded job only', () => {
    const expiresAt = new Date(30 * DAY_MS);
    expect(isVideoExpired(succeeded(expiresAt), new Date(30 * DAY_MS - 1))).toBe(false);
    expect(isVideoExpired(succeeded(expiresAt), new Date(30 * DAY_MS))).toBe(true);
    expect(isVideoExpired(succeeded(null), new Date(365 * DAY_MS))).toBe(false);
    expect(isVideoExpired(base, new Date(365 * DAY_MS))).toBe(false);
  });
});

describe('emulatorAppCheckToken', () => {
  it('is a JWT the functions emulator decodes (without verifying) into the app id', () => {
    const { token, expireTimeMillis } = emulatorAppCheckToken('1:123:web:abc', 'demo-vidgen', 1_000_000);
    const parts = token.split('.');
    expect(parts).toHaveLength(3);
    // firebase-functions' emulator path: split on ".", base64-decode the payload, `sub` is the app id.
    const claims = JSON.parse(Buffer.from(parts[1]!, 'base64').toString()) as Record<string, unknown>;
    expect(claims).toMatchObject({ sub: '1:123:web:abc', aud: ['projects/demo-vidgen'], iat: 1000, exp: 4600 });
    expect(/^[a-zA-Z0-9\-_=]+?\.[a-zA-Z0-9\-_=]+?\.([a-zA-Z0-9\-_=]+)?$/.test(token)).toBe(true);
    expect(expireTimeMillis).toBe(1_000_000 + 3_600_000);
  });
});
