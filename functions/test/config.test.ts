import { ConfigError, configOrNull, enforceAppCheck, jobRetentionDays, once, parseSecrets, parseSettings, replicateTimeoutSeconds, retentionOf, TASK_TIMEOUT_SECONDS, veoTimeoutSeconds, videoRetentionDays } from '../src/config';
import { DEFAULTS } from './support/settings';

function problemsOf(parse: () => unknown): string[] {
  try {
    parse();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('parseSettings', () => {
  it('accepts the defaults and turns the rates into numbers', () => {
    const settings = parseSettings(DEFAULTS);
    expect(settings).toMatchObject({ BACKEND_POLICY: 'prefer-comfyui', VEO_COST_PER_SECOND: 0.4, REPLICATE_ANIMATEDIFF_COST_PER_SECOND: 0.000975, REPLICATE_SVD_COST_PER_SECOND: 0.0014, WORKER_WAIT_SECONDS: 300 });
  });

  it('names every bad variable in one error', () => {
    const values = { ...DEFAULTS, BACKEND_POLICY: 'prefer-gpu', VEO_COST_PER_SECOND: '0,40', MAX_ACTIVE_JOBS_PER_USER: 0, GEMINI_API_BASE_URL: 'localhost:8290' };
    expect(() => parseSettings(values)).toThrow(/^Invalid functions configuration: /);
    const problems = problemsOf(() => parseSettings(values));
    expect(problems).toEqual(expect.arrayContaining([
      expect.stringMatching(/^BACKEND_POLICY: .*prefer-comfyui/),
      expect.stringMatching(/^VEO_COST_PER_SECOND: must be a non-negative number of US dollars/),
      expect.stringMatching(/^MAX_ACTIVE_JOBS_PER_USER: must be at least 1/),
      expect.stringMatching(/^GEMINI_API_BASE_URL: must be empty .* or an http\(s\) URL/),
    ]));
    expect(problems).toHaveLength(4);
  });

  it('catches what an int parameter resolves to when it was not a number (params give 0)', () => {
    expect(problemsOf(() => parseSettings({ ...DEFAULTS, VEO_POLL_SECONDS: 0 }))).toEqual(['VEO_POLL_SECONDS: must be at least 1']);
  });

  it('declares the defaults this table lists: App Check enforced, a provider deadline inside the task timeout, the retention periods', () => {
    const declared = (param: { options?: { default?: unknown } }) => param.options?.default;
    expect(declared(enforceAppCheck)).toBe(true);
    expect(declared(replicateTimeoutSeconds)).toBe(DEFAULTS.REPLICATE_TIMEOUT_SECONDS);
    expect(declared(veoTimeoutSeconds)).toBe(DEFAULTS.VEO_TIMEOUT_SECONDS);
    expect(declared(jobRetentionDays)).toBe(DEFAULTS.JOB_RETENTION_DAYS);
    expect(declared(videoRetentionDays)).toBe(DEFAULTS.VIDEO_RETENTION_DAYS);
  });

  it('refuses a provider deadline that leaves no time inside the task timeout to cancel the work', () => {
    expect(TASK_TIMEOUT_SECONDS).toBe(1800);
    expect(problemsOf(() => parseSettings({ ...DEFAULTS, REPLICATE_TIMEOUT_SECONDS: 1800 }))).toEqual([
      expect.stringMatching(/^REPLICATE_TIMEOUT_SECONDS: must be at most 1500, leaving 300 s of the 1800 s task timeout to cancel/),
    ]);
    expect(problemsOf(() => parseSettings({ ...DEFAULTS, VEO_TIMEOUT_SECONDS: 1501 }))).toEqual([
      expect.stringMatching(/^VEO_TIMEOUT_SECONDS: must be at most 1500/),
      expect.stringMatching(/^VEO_INVOCATION_SECONDS: must be at least VEO_TIMEOUT_SECONDS/),
    ]);
    expect(parseSettings({ ...DEFAULTS, REPLICATE_TIMEOUT_SECONDS: 1500 }).REPLICATE_TIMEOUT_SECONDS).toBe(1500);
  });

  it('checks the retention periods: whole days, and job documents outliving their videos', () => {
    expect(retentionOf(parseSettings({ ...DEFAULTS, JOB_RETENTION_DAYS: 14, VIDEO_RETENTION_DAYS: 7 }))).toEqual({ job: 14, video: 7 });
    expect(problemsOf(() => parseSettings({ ...DEFAULTS, VIDEO_RETENTION_DAYS: 0 }))).toEqual(['VIDEO_RETENTION_DAYS: must be at least 1 day']);
    expect(problemsOf(() => parseSettings({ ...DEFAULTS, JOB_RETENTION_DAYS: 10, VIDEO_RETENTION_DAYS: 30 }))).toEqual([
      'JOB_RETENTION_DAYS: must be at least VIDEO_RETENTION_DAYS, so that a job whose video expired still says so',
    ]);
  });

  it('keeps the config/limits cache within the 5 s operators are promised', () => {
    expect(problemsOf(() => parseSettings({ ...DEFAULTS, LIMITS_CACHE_SECONDS: 30 }))).toEqual([expect.stringMatching(/^LIMITS_CACHE_SECONDS: must be at most 5/)]);
    expect(parseSettings({ ...DEFAULTS, LIMITS_CACHE_SECONDS: 0, GPU_COST_PER_HOUR: '1.10' })).toMatchObject({ LIMITS_CACHE_SECONDS: 0, GPU_COST_PER_HOUR: 1.1 });
  });

  it('keeps a provider run\'s lease long enough to be renewed at half its length', () => {
    expect(problemsOf(() => parseSettings({ ...DEFAULTS, PROVIDER_LEASE_SECONDS: 5 }))).toEqual(['PROVIDER_LEASE_SECONDS: must be at least 10']);
    expect(parseSettings({ ...DEFAULTS, PROVIDER_LEASE_SECONDS: 20 }).PROVIDER_LEASE_SECONDS).toBe(20);
  });

  it('refuses a bucket written as a gs:// URL, and accepts a URL for a provider endpoint', () => {
    expect(problemsOf(() => parseSettings({ ...DEFAULTS, STORAGE_BUCKET: 'gs://demo.appspot.com' }))).toEqual([expect.stringMatching(/^STORAGE_BUCKET: .*without gs:\/\//)]);
    expect(parseSettings({ ...DEFAULTS, STORAGE_BUCKET: 'demo-vidgen.firebasestorage.app', REPLICATE_BASE_URL: 'http://127.0.0.1:8291/v1' })).toMatchObject({ REPLICATE_BASE_URL: 'http://127.0.0.1:8291/v1' });
  });
});

describe('Replicate model versions', () => {
  const ANIMATEDIFF = 'lucataco/animate-diff:beecf59c4aee8d81bf04f0381033dfa10dc16e845b4ae00d281e2fa377e48a9f';
  const SVD_ID = '3f0457e4619daac51203dedb472816fd4af51f3149fa7a9e0b5ffcf1b8172438';

  it('reads owner/name:<version>, the bare version id, an official owner/name, and empty as off', () => {
    const settings = parseSettings({ ...DEFAULTS, REPLICATE_ANIMATEDIFF_VERSION: ` ${ANIMATEDIFF} `, REPLICATE_SVD_VERSION: SVD_ID });
    expect(settings.REPLICATE_ANIMATEDIFF_VERSION).toEqual({ kind: 'version', model: 'lucataco/animate-diff', version: ANIMATEDIFF.split(':')[1] });
    expect(settings.REPLICATE_SVD_VERSION).toEqual({ kind: 'version', model: null, version: SVD_ID });
    expect(parseSettings({ ...DEFAULTS, REPLICATE_SVD_VERSION: 'someone/official-video' }).REPLICATE_SVD_VERSION).toEqual({ kind: 'official', model: 'someone/official-video' });
    expect(parseSettings(DEFAULTS).REPLICATE_SVD_VERSION).toBeNull();
  });

  it('names the variable for a short hash, a community model without a version, and junk', () => {
    expect(problemsOf(() => parseSettings({ ...DEFAULTS, REPLICATE_ANIMATEDIFF_VERSION: 'lucataco/animate-diff:beecf59c' }))).toEqual([
      expect.stringMatching(/^REPLICATE_ANIMATEDIFF_VERSION: must end in the whole 64-character/),
    ]);
    expect(problemsOf(() => parseSettings({ ...DEFAULTS, REPLICATE_SVD_VERSION: 'stability-ai/stable-video-diffusion' }))).toEqual([
      expect.stringMatching(/^REPLICATE_SVD_VERSION: stability-ai\/stable-video-diffusion is a community model/),
    ]);
    expect(problemsOf(() => parseSettings({ ...DEFAULTS, REPLICATE_SVD_VERSION: 'https://replicate.com/x', REPLICATE_ANIMATEDIFF_VERSION: SVD_ID.toUpperCase() }))).toEqual([
      expect.stringMatching(/^REPLICATE_ANIMATEDIFF_VERSION: must be owner\/name:<64-hex version id>/),
      expect.stringMatching(/^REPLICATE_SVD_VERSION: must /),
    ]);
  });

  it('prices each model on its own hardware', () => {
    const problems = problemsOf(() => parseSettings({ ...DEFAULTS, REPLICATE_SVD_COST_PER_SECOND: '$0.0014' }));
    expect(problems).toEqual([expect.stringMatching(/^REPLICATE_SVD_COST_PER_SECOND: must be a non-negative number/)]);
  });
});

describe('parseSecrets', () => {
  const secret = 'a-shared-secret-of-32-characters';

  it('leaves a backend off for an empty or "none" secret', () => {
    expect(parseSecrets({ WORKER_SHARED_SECRET: secret, GEMINI_API_KEY: 'none', REPLICATE_API_TOKEN: ' ' }, 'prefer-comfyui')).toEqual({
      WORKER_SHARED_SECRET: secret, GEMINI_API_KEY: null, REPLICATE_API_TOKEN: null,
    });
  });

  it('refuses a short workers\' secret without echoing it, and a missing one unless no worker is used', () => {
    const problems = problemsOf(() => parseSecrets({ WORKER_SHARED_SECRET: 'short-secret', GEMINI_API_KEY: '', REPLICATE_API_TOKEN: '' }, 'prefer-comfyui'));
    expect(problems).toEqual([expect.stringMatching(/^WORKER_SHARED_SECRET: must be at least 16 characters/)]);
    expect(problems.join()).not.toContain('short-secret');
    expect(problemsOf(() => parseSecrets({ WORKER_SHARED_SECRET: 'none', GEMINI_API_KEY: '', REPLICATE_API_TOKEN: 't' }, 'comfyui-only'))).toEqual([expect.stringMatching(/^WORKER_SHARED_SECRET: must be set/)]);
    expect(parseSecrets({ WORKER_SHARED_SECRET: 'none', GEMINI_API_KEY: '', REPLICATE_API_TOKEN: 't' }, 'replicate-only').WORKER_SHARED_SECRET).toBeNull();
  });
});

describe('once', () => {
  it('computes on first use only, and keeps a failure too', () => {
    let calls = 0;
    const good = once(() => ++calls);
    expect([good(), good()]).toEqual([1, 1]);
    const bad = once(() => {
      calls += 1;
      throw new ConfigError(['X: bad']);
    });
    expect(bad).toThrow('X: bad');
    expect(bad).toThrow('X: bad');
    expect(calls).toBe(2);
  });
});

describe('configOrNull', () => {
  it('returns null for a configuration error (the task ends instead of being retried) and rethrows anything else', () => {
    // The structured fields become the entry's jsonPayload, which the log-based metric counts.
    const logged = jest.fn();
    expect(configOrNull(() => 7, 'runAttempt', logged)).toBe(7);
    expect(configOrNull(() => parseSettings({ ...DEFAULTS, WORKER_WAIT_SECONDS: -1 }), 'runAttempt', logged)).toBeNull();
    expect(logged).toHaveBeenCalledTimes(1);
    expect(logged.mock.calls[0]?.[0]).toMatch(/^Invalid functions configuration: WORKER_WAIT_SECONDS: must be at least 1/);
    expect(logged.mock.calls[0]?.[1]).toEqual({ metric: 'config_invalid', function: 'runAttempt', problems: ['WORKER_WAIT_SECONDS: must be at least 1'] });
    expect(() => configOrNull(() => {
      throw new Error('Firestore is down');
    }, 'runAttempt')).toThrow('Firestore is down');
  });
});
