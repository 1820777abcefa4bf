import {
  cancelJob,
  claimAttempt,
  ERROR_CODES,
  errorClassOf,
  expireLease,
  failPendingAttempt,
  finishAttempt,
  JobSchema,
  markDispatched,
  MAX_TRIES_PER_TIER,
  nextTierAfterFailure,
  recordAttemptCost,
  recordProviderJob,
  renewLease,
  reportProgress,
  type ErrorCode,
  type Job,
  type Tier,
  type TransitionResult,
} from '@vidgen/contract';
import {
  at,
  AUTO,
  claimAndFail,
  claimed,
  errorOf,
  LEASE_MS,
  newJob,
  ok,
  OUTPUT,
  refused,
  T0,
  progress,
  applyUnchanged,
} from './helpers';

const RETRY: ErrorCode = 'comfyui_execution_failed';
const FAILOVER: ErrorCode = 'gpu_out_of_memory';
const FATAL: ErrorCode = 'reference_image_missing';

describe('failure classes', () => {
  it('classifies the codes the tests rely on as expected', () => {
    expect(errorClassOf(RETRY)).toBe('retry');
    expect(errorClassOf('lease_expired')).toBe('retry');
    expect(errorClassOf(FAILOVER)).toBe('failover');
    expect(errorClassOf('no_worker_available')).toBe('failover');
    expect(errorClassOf(FATAL)).toBe('fatal');
  });

  it(`retries a retry-class error on the same tier for ${MAX_TRIES_PER_TIER} tries in all, then fails over`, () => {
    expect(MAX_TRIES_PER_TIER).toBe(3);
    let job = newJob();
    const tiers: Tier[] = [];
    for (let i = 0; i < MAX_TRIES_PER_TIER; i++) {
      tiers.push(job.attempt!.tier);
      job = claimAndFail(job, RETRY, at(1_000 * (i + 1))).job;
    }
    expect(tiers).toEqual(['veo', 'veo', 'veo']);
    expect(job.state).toBe('queued');
    expect(job.attempt).toMatchObject({ index: 3, tier: 'animatediff', state: 'pending' });
  });

  it('gives each tier its own tries: the whole auto plan with retry-class errors takes 9 steps, then fails', () => {
    let job = newJob();
    const seen: [number, Tier][] = [];
    for (let step = 0; step < 3 * MAX_TRIES_PER_TIER; step++) {
      const before = job;
      expect(before.attempt?.index).toBe(step);
      seen.push([step, before.attempt!.tier]);
      const result = claimAndFail(before, RETRY, at(1_000 * (step + 1)), 0.01);
      job = result.job;
      expect(job.attempts).toHaveLength(before.attempts.length + 1);
      expect(job.attempts.at(-1)).toMatchObject({ index: step, tier: before.attempt!.tier, outcome: 'failed' });
      if (step < 3 * MAX_TRIES_PER_TIER - 1) {
        expect(job.attempt?.index).toBe(step + 1);
        expect(result.next).toEqual({ kind: 'dispatch', attemptIndex: step + 1 });
      } else {
        expect(result.next).toEqual({ kind: 'none' });
      }
      expect(JobSchema.parse(job)).toEqual(job);
    }
    expect(seen.map(([, tier]) => tier)).toEqual(['veo', 'veo', 'veo', 'animatediff', 'animatediff', 'animatediff', 'svd', 'svd', 'svd']);
    expect(job.state).toBe('failed');
    expect(job.attempt).toBeNull();
    expect(job.error).toEqual(errorOf(RETRY));
    expect(job.costUsd).toBeCloseTo(0.09);
  });

  it('fails over to the next tier on a failover-class error, without retrying', () => {
    const { job, next } = claimAndFail(newJob(), FAILOVER, at(1_000));
    expect(job.attempt).toMatchObject({ index: 1, tier: 'animatediff', backend: 'comfyui', state: 'pending' });
    expect(next).toEqual({ kind: 'dispatch', attemptIndex: 1 });
    const again = claimAndFail(job, FAILOVER, at(2_000));
    expect(again.job.attempt).toMatchObject({ index: 2, tier: 'svd' });
  });

  it('fails over after a retry too, carrying on the plan from the failed tier', () => {
    const once = claimAndFail(newJob(), RETRY, at(1_000)).job;
    expect(once.attempt?.tier).toBe('veo');
    const { job } = claimAndFail(once, FAILOVER, at(2_000));
    expect(job.attempt).toMatchObject({ index: 2, tier: 'animatediff' });
  });

  it('fails the job with the error when a failover-class error hits the last tier of the plan', () => {
    let job = newJob(['animatediff', 'svd']);
    job = claimAndFail(job, FAILOVER, at(1_000)).job;
    expect(job.attempt?.tier).toBe('svd');
    const { job: failed, next } = claimAndFail(job, 'comfyui_model_missing', at(2_000));
    expect(next).toEqual({ kind: 'none' });
    expect(failed.state).toBe('failed');
    expect(failed.attempt).toBeNull();
    expect(failed.error).toEqual(errorOf('comfyui_model_missing'));
    expect(failed.attempts).toHaveLength(2);
    expect(failed.output).toBeNull();
    expect(JobSchema.parse(failed)).toEqual(failed);
  });

  it('fails a single-tier plan at once on out-of-memory: a named tier never falls over', () => {
    const { job, next } = claimAndFail(newJob(['animatediff']), 'gpu_out_of_memory', at(1_000));
    expect(next).toEqual({ kind: 'none' });
    expect(job.state).toBe('failed');
    expect(job.error?.code).toBe('gpu_out_of_memory');
    expect(job.error?.retryable).toBe(false);
    expect(job.attempts).toHaveLength(1);
    expect(job.attempts[0]).toMatchObject({ tier: 'animatediff', outcome: 'failed' });
    expect(job.plan).toEqual(['animatediff']);
  });

  it('retries a single-tier plan on a retry-class error, then fails after the last try', () => {
    let job = newJob(['svd']);
    job = claimAndFail(job, RETRY, at(1_000)).job;
    job = claimAndFail(job, RETRY, at(2_000)).job;
    expect(job.state).toBe('queued');
    expect(job.attempt).toMatchObject({ index: 2, tier: 'svd' });
    const { job: failed } = claimAndFail(job, 'storage_failed', at(3_000));
    expect(failed.state).toBe('failed');
    expect(failed.error?.code).toBe('storage_failed');
    expect(failed.attempts.map((a) => a.tier)).toEqual(['svd', 'svd', 'svd']);
  });

  it('fails the job on a fatal error even with tiers left', () => {
    const { job, next } = claimAndFail(newJob(), FATAL, at(1_000), 0.05);
    expect(next).toEqual({ kind: 'none' });
    expect(job.state).toBe('failed');
    expect(job.error).toEqual(errorOf(FATAL));
    expect(job.attempt).toBeNull();
    expect(job.attempts).toHaveLength(1);
    expect(job.costUsd).toBeCloseTo(0.05);
  });

  it.each(ERROR_CODES)('moves the job exactly one step on %s', (code) => {
    const before = newJob();
    const { job, next } = claimAndFail(before, code, at(1_000));
    expect(job.attempts).toHaveLength(1);
    expect(job.attempts[0]).toMatchObject({ index: 0, outcome: 'failed', error: errorOf(code) });
    const errorClass = errorClassOf(code);
    if (errorClass === 'fatal') {
      expect(job.state).toBe('failed');
      expect(next).toEqual({ kind: 'none' });
    } else {
      expect(job.state).toBe('queued');
      expect(job.attempt?.index).toBe(1);
      expect(job.attempt?.tier).toBe(errorClass === 'retry' ? 'veo' : 'animatediff');
      expect(next).toEqual({ kind: 'dispatch', attemptIndex: 1 });
    }
  });
});

describe('nextTierAfterFailure', () => {
  it('decides retry, failover or stop from the error class and the tries so far', () => {
    const job = newJob();
    const attempt = job.attempt!;
    expect(nextTierAfterFailure(job, attempt, errorOf(RETRY))).toBe('veo');
    expect(nextTierAfterFailure(job, attempt, errorOf(FAILOVER))).toBe('animatediff');
    expect(nextTierAfterFailure(job, attempt, errorOf(FATAL))).toBeNull();
    const lastTier = newJob(['svd']);
    expect(nextTierAfterFailure(lastTier, lastTier.attempt!, errorOf(FAILOVER))).toBeNull();
  });
});

describe('expireLease', () => {
  const running = claimed(newJob(), 'token-1', at(1_000), 'worker-a');
  const expiry = at(1_000 + LEASE_MS);

  it('refuses while the lease is live', () => {
    expect(applyUnchanged(running, (job) => expireLease(job, { attemptIndex: 0, now: at(1_000 + LEASE_MS - 1) }))).toEqual(refused('lease_active'));
  });

  it('refuses a pending attempt, which has no lease to expire', () => {
    expect(applyUnchanged(newJob(), (job) => expireLease(job, { attemptIndex: 0, now: at(10 * LEASE_MS) }))).toEqual(refused('lease_active'));
  });

  it('refuses a stale attempt index and a terminal job', () => {
    expect(expireLease(running, { attemptIndex: 1, now: expiry })).toEqual(refused('stale_attempt'));
    const cancelled = ok(cancelJob(running, { now: at(2_000) })).job;
    expect(expireLease(cancelled, { attemptIndex: 0, now: expiry })).toEqual(refused('job_terminal'));
  });

  it('after expiry records lease_expired and retries the same tier', () => {
    const { job, next } = ok(applyUnchanged(running, (j) => expireLease(j, { attemptIndex: 0, now: expiry })));
    expect(next).toEqual({ kind: 'dispatch', attemptIndex: 1 });
    expect(job.state).toBe('queued');
    expect(job.attempt).toMatchObject({ index: 1, tier: 'veo', state: 'pending', leaseToken: null });
    expect(job.attempts).toHaveLength(1);
    const [record] = job.attempts;
    expect(record).toMatchObject({ index: 0, tier: 'veo', workerId: 'worker-a', startedAt: at(1_000), endedAt: expiry, outcome: 'failed', costUsd: 0 });
    expect(record?.error?.code).toBe('lease_expired');
    expect(record?.error?.retryable).toBe(true);
    expect(record?.error?.message).toContain('worker-a');
    expect(job.error).toBeNull();
    expect(JobSchema.parse(job)).toEqual(job);
  });

  it('counts expired leases as tries: the third one on a tier fails over', () => {
    let job = newJob();
    for (let i = 0; i < MAX_TRIES_PER_TIER; i++) {
      const start = at(i * 10 * LEASE_MS);
      job = claimed(job, `t${i}`, start);
      job = ok(expireLease(job, { attemptIndex: i, now: new Date(start.getTime() + LEASE_MS) })).job;
    }
    expect(job.attempts.map((a) => a.error?.code)).toEqual(['lease_expired', 'lease_expired', 'lease_expired']);
    expect(job.attempt).toMatchObject({ index: 3, tier: 'animatediff' });
  });

  it('fences the old runner out once the lease was expired', () => {
    const { job } = ok(expireLease(running, { attemptIndex: 0, now: expiry }));
    expect(finishAttempt(job, { leaseToken: 'token-1', result: { outcome: 'succeeded', output: OUTPUT, costUsd: 0 }, now: expiry })).toEqual(refused('lease_lost'));
  });
});

describe('failPendingAttempt', () => {
  it('fails a pending attempt over to the next tier on a failover-class error, at no cost', () => {
    const { job, next } = ok(applyUnchanged(newJob(), (j) => failPendingAttempt(j, { attemptIndex: 0, error: errorOf('no_worker_available'), now: at(30_000) })));
    expect(next).toEqual({ kind: 'dispatch', attemptIndex: 1 });
    expect(job.attempt).toMatchObject({ index: 1, tier: 'animatediff', state: 'pending' });
    expect(job.attempts).toEqual([
      { index: 0, tier: 'veo', backend: 'gemini', workerId: null, startedAt: null, endedAt: at(30_000), outcome: 'failed', error: errorOf('no_worker_available'), costUsd: 0, providerJobId: null, costKnown: true },
    ]);
    expect(job.costUsd).toBe(0);
    expect(JobSchema.parse(job)).toEqual(job);
  });

  it('retries the same tier on a retry-class error', () => {
    const { job } = ok(failPendingAttempt(newJob(), { attemptIndex: 0, error: errorOf('internal'), now: at(10) }));
    expect(job.attempt).toMatchObject({ index: 1, tier: 'veo' });
  });

  it('fails the job when the only tier is not configured', () => {
    const { job } = ok(failPendingAttempt(newJob(['svd']), { attemptIndex: 0, error: errorOf('tier_unavailable'), now: at(10) }));
    expect(job.state).toBe('failed');
    expect(job.error?.code).toBe('tier_unavailable');
  });

  it('refuses a running attempt, a stale index and a terminal job', () => {
    const running = claimed(newJob());
    expect(applyUnchanged(running, (j) => failPendingAttempt(j, { attemptIndex: 0, error: errorOf('no_worker_available'), now: at(10) }))).toEqual(refused('already_claimed'));
    expect(failPendingAttempt(newJob(), { attemptIndex: 3, error: errorOf('no_worker_available'), now: at(10) })).toEqual(refused('stale_attempt'));
    const cancelled = ok(cancelJob(newJob(), { now: at(10) })).job;
    expect(failPendingAttempt(cancelled, { attemptIndex: 0, error: errorOf('no_worker_available'), now: at(10) })).toEqual(refused('job_terminal'));
  });
});

describe('cancelJob', () => {
  it('cancels a queued job without recording the attempt that never ran', () => {
    const { job, next } = ok(applyUnchanged(newJob(), (j) => cancelJob(j, { now: at(500) })));
    expect(next).toEqual({ kind: 'none' });
    expect(job.state).toBe('cancelled');
    expect(job.attempt).toBeNull();
    expect(job.attempts).toEqual([]);
    expect(job.updatedAt).toEqual(at(500));
    expect(JobSchema.parse(job)).toEqual(job);
  });

  it('keeps the records of earlier attempts when cancelling a queued retry', () => {
    const retried = claimAndFail(newJob(), RETRY, at(1_000)).job;
    const { job } = ok(cancelJob(retried, { now: at(2_000) }));
    expect(job.attempts).toEqual(retried.attempts);
  });

  it('cancels a running job and records its attempt as cancelled', () => {
    const running = claimed(newJob(), 'token-1', at(1_000), 'worker-a');
    const { job } = ok(applyUnchanged(running, (j) => cancelJob(j, { now: at(7_000) })));
    expect(job.state).toBe('cancelled');
    expect(job.attempt).toBeNull();
    expect(job.attempts).toEqual([
      { index: 0, tier: 'veo', backend: 'gemini', workerId: 'worker-a', startedAt: at(1_000), endedAt: at(7_000), outcome: 'cancelled', error: null, costUsd: 0, providerJobId: null, costKnown: true },
    ]);
    expect(job.output).toBeNull();
    expect(JobSchema.parse(job)).toEqual(job);
    // the runner that held the lease can no longer write
    expect(reportProgress(job, { leaseToken: 'token-1', progress: progress(90), now: at(8_000) })).toEqual(refused('job_terminal'));
  });

  it('refuses to cancel a terminal job', () => {
    const cancelled = ok(cancelJob(newJob(), { now: at(10) })).job;
    expect(applyUnchanged(cancelled, (j) => cancelJob(j, { now: at(20) }))).toEqual(refused('job_terminal'));
  });
});

describe('a terminal state is final', () => {
  const running = claimed(newJob(), 'token-1', at(1_000));
  const terminal: [string, Job][] = [
    ['succeeded', ok(finishAttempt(running, { leaseToken: 'token-1', result: { outcome: 'succeeded', output: OUTPUT, costUsd: 0.3 }, now: at(2_000) })).job],
    ['failed', ok(finishAttempt(running, { leaseToken: 'token-1', result: { outcome: 'failed', error: errorOf(FATAL), costUsd: 0 }, now: at(2_000) })).job],
    ['cancelled (while running)', ok(cancelJob(running, { now: at(2_000) })).job],
    ['cancelled (while queued)', ok(cancelJob(newJob(), { now: at(2_000) })).job],
  ];

  /** Every transition, with arguments that would apply to the job before it ended. */
  const transitions: [string, (job: Job) => TransitionResult][] = [];
  const later = [at(2_500), at(1_000 + LEASE_MS), at(100 * LEASE_MS)];
  for (const now of later) {
    for (const attemptIndex of [0, 1]) {
      transitions.push(
        [`markDispatched #${attemptIndex} @${now.toISOString()}`, (job) => markDispatched(job, { attemptIndex, now })],
        [`claimAttempt #${attemptIndex} @${now.toISOString()}`, (job) => claimAttempt(job, { attemptIndex, backend: 'gemini', workerId: 'w', leaseToken: 'token-9', leaseMs: LEASE_MS, now })],
        [`failPendingAttempt #${attemptIndex} @${now.toISOString()}`, (job) => failPendingAttempt(job, { attemptIndex, error: errorOf('no_worker_available'), now })],
        [`expireLease #${attemptIndex} @${now.toISOString()}`, (job) => expireLease(job, { attemptIndex, now })],
      );
    }
    for (const leaseToken of ['token-1', 'token-9']) {
      transitions.push(
        [`renewLease ${leaseToken} @${now.toISOString()}`, (job) => renewLease(job, { leaseToken, leaseMs: LEASE_MS, now })],
        [`recordProviderJob ${leaseToken} @${now.toISOString()}`, (job) => recordProviderJob(job, { leaseToken, providerJobId: 'p', now })],
        [`recordAttemptCost ${leaseToken} @${now.toISOString()}`, (job) => recordAttemptCost(job, { leaseToken, costUsd: 3.2, now })],
        [`reportProgress ${leaseToken} @${now.toISOString()}`, (job) => reportProgress(job, { leaseToken, progress: progress(99), now })],
        [`finishAttempt succeeded ${leaseToken} @${now.toISOString()}`, (job) => finishAttempt(job, { leaseToken, result: { outcome: 'succeeded', output: OUTPUT, costUsd: 1 }, now })],
        ...ERROR_CODES.map((code): [string, (job: Job) => TransitionResult] => [
          `finishAttempt failed ${code} ${leaseToken} @${now.toISOString()}`,
          (job) => finishAttempt(job, { leaseToken, result: { outcome: 'failed', error: errorOf(code), costUsd: 1 }, now }),
        ]),
      );
    }
    transitions.push([`cancelJob @${now.toISOString()}`, (job) => cancelJob(job, { now })]);
  }

  it.each(terminal)('the %s job is terminal and valid', (state, job) => {
    expect(state.startsWith(job.state)).toBe(true);
    expect(job.attempt).toBeNull();
    expect(JobSchema.parse(job)).toEqual(job);
  });

  it.each(terminal)('every transition refuses the %s job with job_terminal and changes nothing', (_state, terminalJob) => {
    expect(transitions.length).toBeGreaterThan(50);
    const outcomes = transitions.map(([name, transition]) => [name, applyUnchanged(terminalJob, transition)] as const);
    const applied = outcomes.filter(([, result]) => result.ok || result.refusal !== 'job_terminal').map(([name]) => name);
    expect(applied).toEqual([]);
  });

  it('the same transitions do apply to a job that has not ended (the loop above can fail)', () => {
    const applied = transitions.filter(([, transition]) => transition(running).ok).map(([name]) => name);
    expect(applied.length).toBeGreaterThan(0);
    expect(applied).toContain(`cancelJob @${at(2_500).toISOString()}`);
    expect(applied).toContain(`renewLease token-1 @${at(2_500).toISOString()}`);
  });
});

describe('JobSchema accepts the jobs the transitions produce', () => {
  it('after create, dispatch, claim, progress, provider id and finish', () => {
    const steps: Job[] = [];
    let job = newJob(AUTO, T0, { prompt: 'x', model: 'veo', aspectRatio: '16:9', durationSeconds: 8, seed: 7, idempotencyKey: 'k-1' });
    steps.push(job);
    job = ok(markDispatched(job, { attemptIndex: 0, now: at(1) })).job;
    steps.push(job);
    job = claimed(job, 'tok', at(2));
    steps.push(job);
    job = ok(reportProgress(job, { leaseToken: 'tok', progress: progress(30), now: at(3) })).job;
    steps.push(job);
    job = ok(recordProviderJob(job, { leaseToken: 'tok', providerJobId: 'op-1', now: at(4) })).job;
    steps.push(job);
    job = ok(finishAttempt(job, { leaseToken: 'tok', result: { outcome: 'succeeded', output: OUTPUT, costUsd: 2.4 }, now: at(5) })).job;
    steps.push(job);
    for (const step of steps) expect(JobSchema.parse(step)).toEqual(step);
  });

  it('and the schema does refuse a broken job', () => {
    const job = newJob();
    expect(JobSchema.safeParse({ ...job, plan: [] }).success).toBe(false);
    expect(JobSchema.safeParse({ ...job, state: 'done' }).success).toBe(false);
    expect(JobSchema.safeParse({ ...job, costUsd: -1 }).success).toBe(false);
    expect(JobSchema.safeParse({ ...job, createdAt: T0.toISOString() }).success).toBe(false);
  });
});
