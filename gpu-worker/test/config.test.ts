import { loadConfig, redacted } from '../src/config';

const SECRET = 'a-shared-secret-of-32-characters';
const BUCKET = 'demo-vidgen.appspot.com';

describe('loadConfig', () => {
  it('names WORKER_SHARED_SECRET and STORAGE_BUCKET when they are missing', () => {
    expect(() => loadConfig({})).toThrow(/Invalid worker configuration/);
    expect(() => loadConfig({})).toThrow(/WORKER_SHARED_SECRET/);
    expect(() => loadConfig({ WORKER_SHARED_SECRET: SECRET })).toThrow(/STORAGE_BUCKET: the bucket outputs go to is required/);
  });

  it('refuses a secret shorter than 16 characters, without echoing it', () => {
    let message = '';
    try {
      loadConfig({ WORKER_SHARED_SECRET: 'short-secret' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/WORKER_SHARED_SECRET: must be at least 16 characters/);
    expect(message).not.toContain('short-secret');
  });

  it('fills in the defaults', () => {
    const config = loadConfig({ WORKER_SHARED_SECRET: SECRET, STORAGE_BUCKET: BUCKET });
    expect(config).toMatchObject({
      HOST: '0.0.0.0',
      PORT: 8000,
      COMFYUI_URL: 'http://127.0.0.1:8188',
      MAX_CONCURRENT_JOBS: 2,
      LEASE_SECONDS: 60,
      HEARTBEAT_SECONDS: 5,
      PROGRESS_INTERVAL_MS: 1000,
      HISTORY_POLL_SECONDS: 5,
      STALL_TIMEOUT_SECONDS: 600,
      SHUTDOWN_GRACE_SECONDS: 25,
      GPU_COST_PER_HOUR: 0.44,
      FUNCTIONS_LOCATION: 'us-central1',
      LOG_LEVEL: 'info',
      WORKER_SHARED_SECRET: SECRET, STORAGE_BUCKET: BUCKET,
    });
    expect(config.WORKER_ID).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
    expect(config.WORKER_PUBLIC_URL).toBeUndefined();
    expect(config.STORAGE_BUCKET).toBe(BUCKET);
  });

  it('coerces numbers from the environment and checks their ranges', () => {
    const config = loadConfig({ WORKER_SHARED_SECRET: SECRET, STORAGE_BUCKET: BUCKET, PORT: '9001', MAX_CONCURRENT_JOBS: '4', HISTORY_POLL_SECONDS: '0.5' });
    expect(config).toMatchObject({ PORT: 9001, MAX_CONCURRENT_JOBS: 4, HISTORY_POLL_SECONDS: 0.5 });
    expect(() => loadConfig({ WORKER_SHARED_SECRET: SECRET, STORAGE_BUCKET: BUCKET, MAX_CONCURRENT_JOBS: '0' })).toThrow(/MAX_CONCURRENT_JOBS/);
    expect(() => loadConfig({ WORKER_SHARED_SECRET: SECRET, STORAGE_BUCKET: BUCKET, PROGRESS_INTERVAL_MS: '50' })).toThrow(/PROGRESS_INTERVAL_MS/);
    expect(() => loadConfig({ WORKER_SHARED_SECRET: SECRET, STORAGE_BUCKET: BUCKET, PORT: 'eighty' })).toThrow(/PORT/);
  });

  // A variable set but empty (common in .env files and container specs) must not read as 0: `PORT=`
  // would listen on a random free port and `GPU_COST_PER_HOUR=` would make every attempt free.
  it.each([
    ['PORT', 8000],
    ['GPU_COST_PER_HOUR', 0.44],
  ] as const)('an empty %s is its default or refused, never 0', (name, fallback) => {
    let value: unknown;
    try {
      value = loadConfig({ WORKER_SHARED_SECRET: SECRET, STORAGE_BUCKET: BUCKET, [name]: '' })[name];
    } catch (error) {
      value = (error as Error).message.includes(`${name}:`) ? 'refused' : error;
    }
    expect([fallback, 'refused']).toContain(value);
  });

  it('names every bad variable at once', () => {
    let message = '';
    try {
      loadConfig({ WORKER_ID: 'has spaces', COMFYUI_URL: 'not a url', LOG_LEVEL: 'loud', WORKER_PUBLIC_URL: 'nope' });
    } catch (error) {
      message = (error as Error).message;
    }
    for (const name of ['WORKER_SHARED_SECRET', 'WORKER_ID', 'COMFYUI_URL', 'LOG_LEVEL', 'WORKER_PUBLIC_URL']) expect(message).toContain(`${name}:`);
    expect(message).toContain('letters, digits, _ and - only');
  });
});

describe('METRICS_TOKEN', () => {
  it('is optional, at least 16 characters, and never logged', () => {
    expect(loadConfig({ WORKER_SHARED_SECRET: SECRET, STORAGE_BUCKET: BUCKET }).METRICS_TOKEN).toBeUndefined();
    expect(() => loadConfig({ WORKER_SHARED_SECRET: SECRET, STORAGE_BUCKET: BUCKET, METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN: must be at least 16 characters/);
    const token = 'a-metrics-token-for-prometheus';
    const config = loadConfig({ WORKER_SHARED_SECRET: SECRET, STORAGE_BUCKET: BUCKET, METRICS_TOKEN: token });
    expect(config.METRICS_TOKEN).toBe(token);
    expect(JSON.stringify(redacted(config))).not.toContain(token);
  });
});

describe('redacted', () => {
  it('hides the secret and keeps everything else', () => {
    const config = loadConfig({ WORKER_SHARED_SECRET: SECRET, STORAGE_BUCKET: BUCKET, WORKER_ID: 'worker-1' });
    const shown = redacted(config);
    expect(shown.WORKER_SHARED_SECRET).toBe('[redacted]');
    expect(JSON.stringify(shown)).not.toContain(SECRET);
    expect(shown).toMatchObject({ WORKER_ID: 'worker-1', PORT: 8000 });
    expect(config.WORKER_SHARED_SECRET).toBe(SECRET);
  });
});
