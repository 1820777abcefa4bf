import {
  AttemptRecordSchema,
  cancelJob,
  claimAttempt,
  createJob,
  finishAttempt,
  JobSchema,
  markDispatched,
  recordProviderJob,
  renewLease,
  reportProgress,
  TIER_SPECS,
  type ErrorCode,
  type Job,
  type Tier,
  type TransitionResult,
} from '@vidgen/contract';
import {
  at,
  claimAndFail,
  claimed,
  errorOf,
  LEASE_MS,
  newJob,
  ok,
  OUTPUT,
  refused,
  REQUEST,
  T0,
  progress,
  applyUnchanged,
} from './helpers';

const RETRY: ErrorCode = 'comfyui_execution_failed';

describe('createJob', () => {
  it('creates a queued job with attempt 0 pending on the first tier, and asks for dispatch 0', () => {
    const { job, next } = createJob({ ownerUid: 'user-1', request: REQUEST, plan: ['animatediff', 'svd'], now: T0 });
    expect(next).toEqual({ kind: 'dispatch', attemptIndex: 0 });
    expect(job.state).toBe('queued');
    expect(job.ownerUid).toBe('user-1');
    expect(job.request).toEqual(REQUEST);
    expect(job.plan).toEqual(['animatediff', 'svd']);
    expect(job.attempt).toEqual({
      index: 0,
      tier: 'animatediff',
      backend: 'comfyui',
      state: 'pending',
      workerId: null,
      leaseToken: null,
      leaseExpiresAt: null,
      providerJobId: null,
      dispatchCount: 0,
      createdAt: T0,
      startedAt: null,
      costUsd: 0,
      usdPerHour: null,
    });
    expect(job.attempts).toEqual([]);
    expect(job.progress).toEqual({ percent: 0, stage: 'queued', step: null, totalSteps: null, etaSeconds: null, updatedAt: T0 });
    expect(job.output).toBeNull();
    expect(job.error).toBeNull();
    expect(job.costUsd).toBe(0);
    expect(job.createdAt).toEqual(T0);
    expect(job.updatedAt).toEqual(T0);
  });

  it.each<[Tier, string]>([
    ['veo', 'gemini'],
    ['animatediff', 'comfyui'],
    ['svd', 'comfyui'],
  ])('gives a first attempt at %s the backend %s', (tier, backend) => {
    expect(newJob([tier]).attempt?.backend).toBe(backend);
    expect(TIER_SPECS[tier].defaultBackend).toBe(backend);
  });

  it('refuses an empty plan', () => {
    expect(() => createJob({ ownerUid: 'user-1', request: REQUEST, plan: [], now: T0 })).toThrow(/at least one tier/);
  });

  it('produces a job that JobSchema accepts unchanged', () => {
    const job = newJob();
    expect(JobSchema.parse(job)).toEqual(job);
  });
});

describe('markDispatched', () => {
  it('increments dispatchCount on each hand-off and touches updatedAt', () => {
    const once = ok(markDispatched(newJob(), { attemptIndex: 0, now: at(10) }));
    expect(once.next).toEqual({ kind: 'none' });
    expect(once.job.attempt?.dispatchCount).toBe(1);
    expect(once.job.updatedAt).toEqual(at(10));
    expect(once.job.state).toBe('queued');
    const twice = ok(markDispatched(once.job, { attemptIndex: 0, now: at(20) }));
    expect(twice.job.attempt?.dispatchCount).toBe(2);
  });

  it('does not mutate its input', () => {
    const result = applyUnchanged(newJob(), (job) => markDispatched(job, { attemptIndex: 0, now: at(10) }));
    expect(result.ok).toBe(true);
  });

  it('refuses once the attempt is running', () => {
    const running = claimed(newJob());
    expect(applyUnchanged(running, (job) => markDispatched(job, { attemptIndex: 0, now: at(2_000) }))).toEqual(refused('already_claimed'));
  });

  it('refuses a stale attempt index', () => {
    expect(markDispatched(newJob(), { attemptIndex: 1, now: at(10) })).toEqual(refused('stale_attempt'));
  });
});

describe('claimAttempt', () => {
  const args = { attemptIndex: 0, backend: 'gemini' as const, workerId: 'worker-a', leaseToken: 'token-1', leaseMs: LEASE_MS, now: at(1_000) };

  it('turns a pending attempt into a running one under a lease', () => {
    const { job, next } = ok(claimAttempt(newJob(), args));
    expect(next).toEqual({ kind: 'none' });
    expect(job.state).toBe('running');
    expect(job.attempt).toMatchObject({
      index: 0,
      tier: 'veo',
      backend: 'gemini',
      state: 'running',
      workerId: 'worker-a',
      leaseToken: 'token-1',
      leaseExpiresAt: at(1_000 + LEASE_MS),
      startedAt: at(1_000),
      dispatchCount: 0,
    });
    expect(job.progress).toMatchObject({ stage: 'starting', percent: 0, updatedAt: at(1_000) });
    expect(job.updatedAt).toEqual(at(1_000));
    expect(job.attempts).toEqual([]);
    expect(JobSchema.parse(job)).toEqual(job);
  });

  it('records the backend the runner chose', () => {
    const { job } = ok(claimAttempt(newJob(['svd']), { ...args, backend: 'replicate' }));
    expect(job.attempt?.backend).toBe('replicate');
  });

  it('does not mutate its input', () => {
    expect(applyUnchanged(newJob(), (job) => claimAttempt(job, args)).ok).toBe(true);
  });

  it('refuses a duplicate claim while the lease is live', () => {
    const running = ok(claimAttempt(newJob(), args)).job;
    const duplicate = { ...args, workerId: 'worker-b', leaseToken: 'token-2', now: at(1_000 + LEASE_MS - 1) };
    expect(applyUnchanged(running, (job) => claimAttempt(job, duplicate))).toEqual(refused('already_claimed'));
    // the same runner claiming again is refused too: the lease is live
    expect(claimAttempt(running, { ...args, now: at(2_000) })).toEqual(refused('already_claimed'));
  });

  it('lets another runner take the attempt once the lease ran out, keeping what lets it recover', () => {
    let running = ok(claimAttempt(newJob(), args)).job;
    running = ok(recordProviderJob(running, { leaseToken: 'token-1', providerJobId: 'prompt-42', now: at(2_000) })).job;
    const expiry = at(1_000 + LEASE_MS);
    const { job } = ok(claimAttempt(running, { ...args, workerId: 'worker-b', leaseToken: 'token-2', now: expiry }));
    expect(job.state).toBe('running');
    expect(job.attempt).toMatchObject({
      index: 0,
      state: 'running',
      workerId: 'worker-b',
      leaseToken: 'token-2',
      leaseExpiresAt: new Date(expiry.getTime() + LEASE_MS),
      providerJobId: 'prompt-42',
      startedAt: at(1_000),
    });
    expect(job.attempts).toEqual([]);
    // the previous holder is fenced out
    expect(renewLease(job, { leaseToken: 'token-1', leaseMs: LEASE_MS, now: expiry })).toEqual(refused('lease_lost'));
    expect(renewLease(job, { leaseToken: 'token-2', leaseMs: LEASE_MS, now: expiry }).ok).toBe(true);
  });

  it('saves the id a runner proposes for its work in the claim itself, unless an earlier runner saved one', () => {
    expect(ok(claimAttempt(newJob(), { ...args, providerJobId: 'prompt-1' })).job.attempt?.providerJobId).toBe('prompt-1');
    expect(ok(claimAttempt(newJob(), args)).job.attempt?.providerJobId).toBeNull();
    let running = ok(claimAttempt(newJob(), { ...args, providerJobId: 'prompt-1' })).job;
    running = ok(recordProviderJob(running, { leaseToken: 'token-1', providerJobId: 'prompt-42', now: at(2_000) })).job;
    const takeover = { ...args, workerId: 'worker-b', leaseToken: 'token-2', now: at(1_000 + LEASE_MS), providerJobId: 'prompt-2' };
    expect(ok(claimAttempt(running, takeover)).job.attempt?.providerJobId).toBe('prompt-42');
  });

  it('starts the bar over when another runner takes over the same attempt', () => {
    let running = ok(claimAttempt(newJob(), args)).job;
    running = ok(reportProgress(running, { leaseToken: 'token-1', progress: progress(60), now: at(2_000) })).job;
    const { job } = ok(claimAttempt(running, { ...args, workerId: 'worker-b', leaseToken: 'token-2', now: at(1_000 + LEASE_MS) }));
    expect(job.attempt?.index).toBe(running.attempt?.index);
    expect(job.progress.stage).toBe('starting');
    expect(job.progress.percent).toBeLessThan(60);
  });

  it('refuses a stale attempt index', () => {
    expect(claimAttempt(newJob(), { ...args, attemptIndex: 1 })).toEqual(refused('stale_attempt'));
    const retried = claimAndFail(newJob(), RETRY, at(1_000)).job;
    expect(retried.attempt?.index).toBe(1);
    expect(applyUnchanged(retried, (job) => claimAttempt(job, { ...args, attemptIndex: 0, now: at(3_000) }))).toEqual(refused('stale_attempt'));
  });

  it('refuses a terminal job', () => {
    const cancelled = ok(cancelJob(newJob(), { now: at(10) })).job;
    expect(applyUnchanged(cancelled, (job) => claimAttempt(job, args))).toEqual(refused('job_terminal'));
  });
});

describe('fenced transitions (renewLease, reportProgress, recordProviderJob, finishAttempt)', () => {
  const running = claimed(newJob(), 'token-1', at(1_000));
  const fenced: [string, (job: Job, token: string) => TransitionResult][] = [
    ['renewLease', (job, token) => renewLease(job, { leaseToken: token, leaseMs: LEASE_MS, now: at(2_000) })],
    ['reportProgress', (job, token) => reportProgress(job, { leaseToken: token, progress: progress(40), now: at(2_000) })],
    ['recordProviderJob', (job, token) => recordProviderJob(job, { leaseToken: token, providerJobId: 'p-1', now: at(2_000) })],
    ['finishAttempt (succeeded)', (job, token) => finishAttempt(job, { leaseToken: token, result: { outcome: 'succeeded', output: OUTPUT, costUsd: 1 }, now: at(2_000) })],
    ['finishAttempt (failed)', (job, token) => finishAttempt(job, { leaseToken: token, result: { outcome: 'failed', error: errorOf(RETRY), costUsd: 1 }, now: at(2_000) })],
  ];

  it.each(fenced)('%s applies for the lease holder', (_name, transition) => {
    expect(applyUnchanged(running, (job) => transition(job, 'token-1')).ok).toBe(true);
  });

  it.each(fenced)('%s refuses a wrong token with lease_lost and changes nothing', (_name, transition) => {
    expect(applyUnchanged(running, (job) => transition(job, 'token-2'))).toEqual(refused('lease_lost'));
  });

  it.each(fenced)('%s refuses an attempt that is still pending with lease_lost', (_name, transition) => {
    expect(applyUnchanged(newJob(), (job) => transition(job, 'token-1'))).toEqual(refused('lease_lost'));
  });

  it.each(fenced)('%s refuses a terminal job with job_terminal and changes nothing', (_name, transition) => {
    const cancelled = ok(cancelJob(running, { now: at(1_500) })).job;
    expect(applyUnchanged(cancelled, (job) => transition(job, 'token-1'))).toEqual(refused('job_terminal'));
    const succeeded = ok(finishAttempt(running, { leaseToken: 'token-1', result: { outcome: 'succeeded', output: OUTPUT, costUsd: 0 }, now: at(1_500) })).job;
    expect(applyUnchanged(succeeded, (job) => transition(job, 'token-1'))).toEqual(refused('job_terminal'));
  });

  it('renewLease moves the expiry to now + leaseMs and touches nothing else of the attempt', () => {
    const { job, next } = ok(renewLease(running, { leaseToken: 'token-1', leaseMs: 30_000, now: at(20_000) }));
    expect(next).toEqual({ kind: 'none' });
    expect(job.attempt).toEqual({ ...running.attempt, leaseExpiresAt: at(50_000) });
    expect(job.updatedAt).toEqual(at(20_000));
    expect(job.state).toBe('running');
  });

  it('recordProviderJob saves the provider id', () => {
    const { job } = ok(recordProviderJob(running, { leaseToken: 'token-1', providerJobId: 'prompt-7', now: at(3_000) }));
    expect(job.attempt).toEqual({ ...running.attempt, providerJobId: 'prompt-7' });
    expect(job.updatedAt).toEqual(at(3_000));
  });

  it('reportProgress stores the progress when it moves forward, stamped with the time of the write', () => {
    const { job } = ok(reportProgress(running, { leaseToken: 'token-1', progress: progress(46.5, 'sampling', at(9_999)), now: at(3_000) }));
    expect(job.progress).toEqual(progress(46.5, 'sampling', at(3_000)));
    expect(job.updatedAt).toEqual(at(3_000));
    expect(JobSchema.parse(job)).toEqual(job);
  });

  it('reportProgress never lowers the percent, but takes the rest of the report', () => {
    const at60 = ok(reportProgress(running, { leaseToken: 'token-1', progress: progress(60), now: at(3_000) })).job;
    const lower = { ...progress(20, 'decoding', at(4_000)), step: 1, totalSteps: 4, etaSeconds: 5 };
    const { job } = ok(reportProgress(at60, { leaseToken: 'token-1', progress: lower, now: at(4_000) }));
    expect(job.progress).toEqual({ ...lower, percent: 60 });
    const equal = ok(reportProgress(job, { leaseToken: 'token-1', progress: progress(60), now: at(5_000) })).job;
    expect(equal.progress.percent).toBe(60);
    const higher = ok(reportProgress(equal, { leaseToken: 'token-1', progress: progress(61), now: at(6_000) })).job;
    expect(higher.progress.percent).toBe(61);
  });
});

describe('finishAttempt', () => {
  it('succeeds: stores the output, records the attempt, sums the cost and completes the progress bar', () => {
    const running = claimed(newJob(), 'token-1', at(1_000), 'worker-a');
    const { job, next } = ok(finishAttempt(running, { leaseToken: 'token-1', result: { outcome: 'succeeded', output: OUTPUT, costUsd: 0.4 }, now: at(90_000) }));
    expect(next).toEqual({ kind: 'none' });
    expect(job.state).toBe('succeeded');
    expect(job.output).toEqual({ ...OUTPUT, expiresAt: new Date(at(90_000).getTime() + 30 * 86_400_000) });
    expect(job.attempt).toBeNull();
    expect(job.error).toBeNull();
    expect(job.attempts).toEqual([
      { index: 0, tier: 'veo', backend: 'gemini', workerId: 'worker-a', startedAt: at(1_000), endedAt: at(90_000), outcome: 'succeeded', error: null, costUsd: 0.4, providerJobId: null, costKnown: true },
    ]);
    expect(job.costUsd).toBeCloseTo(0.4);
    expect(job.progress).toEqual({ percent: 100, stage: 'done', step: null, totalSteps: null, etaSeconds: 0, updatedAt: at(90_000) });
    expect(job.updatedAt).toEqual(at(90_000));
    expect(JobSchema.parse(job)).toEqual(job);
  });

  it('sums the cost of every attempt, failed ones included', () => {
    const retried = claimAndFail(newJob(), RETRY, at(1_000), 0.25).job;
    expect(retried.costUsd).toBeCloseTo(0.25);
    const running = claimed(retried, 'token-b', at(2_000));
    const { job } = ok(finishAttempt(running, { leaseToken: 'token-b', result: { outcome: 'succeeded', output: OUTPUT, costUsd: 0.5 }, now: at(3_000) }));
    expect(job.costUsd).toBeCloseTo(0.75);
    expect(job.attempts.map((a) => [a.index, a.outcome, a.costUsd])).toEqual([[0, 'failed', 0.25], [1, 'succeeded', 0.5]]);
  });

  it('records a failed attempt with its error and the runner that ran it', () => {
    const running = claimed(newJob(), 'token-1', at(1_000), 'worker-z');
    const error = errorOf(RETRY);
    const { job } = ok(finishAttempt(running, { leaseToken: 'token-1', result: { outcome: 'failed', error, costUsd: 0.1 }, now: at(5_000) }));
    expect(job.attempts).toEqual([
      { index: 0, tier: 'veo', backend: 'gemini', workerId: 'worker-z', startedAt: at(1_000), endedAt: at(5_000), outcome: 'failed', error, costUsd: 0.1, providerJobId: null, costKnown: true },
    ]);
    expect(AttemptRecordSchema.parse(job.attempts[0])).toEqual(job.attempts[0]);
    // the job-level error is only set when the job fails
    expect(job.error).toBeNull();
  });

  it('puts the retried job back in the queue with fresh progress and a fresh pending attempt', () => {
    let running = claimed(newJob(['animatediff', 'svd']), 'token-1', at(1_000));
    running = ok(reportProgress(running, { leaseToken: 'token-1', progress: progress(50), now: at(2_000) })).job;
    running = ok(recordProviderJob(running, { leaseToken: 'token-1', providerJobId: 'prompt-1', now: at(2_000) })).job;
    const { job, next } = ok(finishAttempt(running, { leaseToken: 'token-1', result: { outcome: 'failed', error: errorOf(RETRY), costUsd: 0 }, now: at(3_000) }));
    expect(next).toEqual({ kind: 'dispatch', attemptIndex: 1 });
    expect(job.state).toBe('queued');
    expect(job.attempt).toEqual({
      index: 1, tier: 'animatediff', backend: 'comfyui', state: 'pending', workerId: null, leaseToken: null,
      leaseExpiresAt: null, providerJobId: null, dispatchCount: 0, createdAt: at(3_000), startedAt: null, costUsd: 0, usdPerHour: null,
    });
    expect(job.progress).toEqual({ percent: 0, stage: 'queued', step: null, totalSteps: null, etaSeconds: null, updatedAt: at(3_000) });
    expect(JobSchema.parse(job)).toEqual(job);
  });
});

