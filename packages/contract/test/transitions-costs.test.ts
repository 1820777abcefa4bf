import {
  attemptsAwaitingCost,
  cancelJob,
  claimAttempt,
  createJob,
  DEFAULT_RETENTION_DAYS,
  expireLease,
  finishAttempt,
  heldCostUsd,
  isOutputExpired,
  JobSchema,
  recordAttemptCost,
  recordProviderJob,
  recordStrayProviderJob,
  settleAttemptCost,
  type Backend,
  type Job,
  type Tier,
} from '@vidgen/contract';
import { applyUnchanged, at, errorOf, LEASE_MS, newJob, ok, OUTPUT, refused, REQUEST, T0 } from './helpers';

const DAY_MS = 86_400_000;
/** A GPU worker's price (the worker's default GPU_COST_PER_HOUR). */
const GPU_USD_PER_HOUR = 0.44;

function running(tier: Tier, backend: Backend, options: { usdPerHour?: number; providerJobId?: string } = {}): Job {
  let job = newJob([tier, 'svd']);
  job = ok(claimAttempt(job, { attemptIndex: 0, backend, workerId: 'runner-1', leaseToken: 'tok', leaseMs: LEASE_MS, now: at(1_000), usdPerHour: options.usdPerHour })).job;
  if (options.providerJobId) job = ok(recordProviderJob(job, { leaseToken: 'tok', providerJobId: options.providerJobId, now: at(2_000) })).job;
  return job;
}

/** The job's sum is the sum of its attempts: what cost-report relies on. */
function expectSumOfAttempts(job: Job): void {
  expect(job.costUsd).toBeCloseTo(job.attempts.reduce((sum, attempt) => sum + attempt.costUsd, 0), 9);
  expect(job.costPending).toBe(job.attempts.some((attempt) => !attempt.costKnown));
  expect(JobSchema.parse(job)).toEqual(job);
}

describe('an attempt costs what it held, whatever ends it', () => {
  it('the claim records the runner\'s hourly price', () => {
    expect(running('animatediff', 'comfyui', { usdPerHour: GPU_USD_PER_HOUR }).attempt).toMatchObject({ usdPerHour: GPU_USD_PER_HOUR, costUsd: 0 });
    expect(running('veo', 'gemini').attempt).toMatchObject({ usdPerHour: null, costUsd: 0 });
  });

  it('a cancel charges a GPU attempt for the time it held the GPU until the cancel', () => {
    const job = running('animatediff', 'comfyui', { usdPerHour: GPU_USD_PER_HOUR });
    const { job: cancelled } = ok(applyUnchanged(job, (j) => cancelJob(j, { now: at(1_000 + 90_000) })));
    const [record] = cancelled.attempts;
    expect(record).toMatchObject({ outcome: 'cancelled', costKnown: true, workerId: 'runner-1' });
    expect(record!.costUsd).toBeCloseTo((90 / 3600) * GPU_USD_PER_HOUR, 6);
    expect(cancelled.costPending).toBe(false);
    expectSumOfAttempts(cancelled);
  });

  it('a lease that ran out charges the time until it ran out, not until the watchdog noticed', () => {
    const job = running('animatediff', 'comfyui', { usdPerHour: GPU_USD_PER_HOUR });
    const { job: expired, next } = ok(expireLease(job, { attemptIndex: 0, now: at(1_000 + 10 * LEASE_MS) }));
    expect(next).toEqual({ kind: 'dispatch', attemptIndex: 1 });
    const [record] = expired.attempts;
    expect(record).toMatchObject({ outcome: 'failed', costKnown: true, error: expect.objectContaining({ code: 'lease_expired' }) });
    expect(record!.costUsd).toBeCloseTo((LEASE_MS / 3_600_000) * GPU_USD_PER_HOUR, 6);
    expectSumOfAttempts(expired);
  });

  it('heldCostUsd is 0 for a runner without an hourly price, or an attempt never started', () => {
    expect(heldCostUsd(running('veo', 'gemini').attempt!, at(3_600_000))).toBe(0);
    expect(heldCostUsd(newJob().attempt!, at(3_600_000))).toBe(0);
  });
});

describe('paid steps are recorded before the next one starts (Veo segments)', () => {
  it('records the running total, fenced, never going down', () => {
    let job = running('veo', 'gemini');
    job = ok(applyUnchanged(job, (j) => recordAttemptCost(j, { leaseToken: 'tok', costUsd: 3.2, now: at(3_000) }))).job;
    expect(job.attempt!.costUsd).toBe(3.2);
    job = ok(recordAttemptCost(job, { leaseToken: 'tok', costUsd: 1, now: at(4_000) })).job;
    expect(job.attempt!.costUsd).toBe(3.2);
    expect(recordAttemptCost(job, { leaseToken: 'other', costUsd: 6, now: at(5_000) })).toEqual(refused('lease_lost'));
    expect(job.costUsd).toBe(0);
  });

  it('a cancel between segments charges the recorded segments and refuses the next record, so no further segment starts', () => {
    let job = running('veo', 'gemini');
    job = ok(recordAttemptCost(job, { leaseToken: 'tok', costUsd: 3.2, now: at(3_000) })).job;
    const cancelled = ok(cancelJob(job, { now: at(4_000) })).job;
    expect(cancelled.attempts[0]).toMatchObject({ outcome: 'cancelled', costUsd: 3.2, costKnown: true });
    expect(recordAttemptCost(cancelled, { leaseToken: 'tok', costUsd: 6, now: at(5_000) })).toEqual(refused('job_terminal'));
    expectSumOfAttempts(cancelled);
  });

  it('a failure reported by the runner never counts less than what it recorded', () => {
    let job = running('veo', 'gemini');
    job = ok(recordAttemptCost(job, { leaseToken: 'tok', costUsd: 3.2, now: at(3_000) })).job;
    const failed = ok(finishAttempt(job, { leaseToken: 'tok', result: { outcome: 'failed', error: errorOf('safety_filtered'), costUsd: 0 }, now: at(9_000) })).job;
    expect(failed.attempts[0]).toMatchObject({ outcome: 'failed', costUsd: 3.2 });
    expectSumOfAttempts(failed);
  });

  it('a lease that ran out keeps the recorded segments', () => {
    let job = running('veo', 'gemini');
    job = ok(recordAttemptCost(job, { leaseToken: 'tok', costUsd: 3.2, now: at(3_000) })).job;
    const expired = ok(expireLease(job, { attemptIndex: 0, now: at(10 * LEASE_MS) })).job;
    expect(expired.attempts[0]).toMatchObject({ costUsd: 3.2, costKnown: true });
    expectSumOfAttempts(expired);
  });
});

describe('a Replicate prediction\'s cost is read from Replicate when the runner could not', () => {
  it('a cancel leaves it pending, with the prediction id to read it from', () => {
    const job = running('animatediff', 'replicate', { providerJobId: 'pred-1' });
    const cancelled = ok(cancelJob(job, { now: at(30_000) })).job;
    expect(cancelled.attempts[0]).toMatchObject({ outcome: 'cancelled', costUsd: 0, costKnown: false, providerJobId: 'pred-1' });
    expect(cancelled.costPending).toBe(true);
    expect(attemptsAwaitingCost(cancelled).map((a) => a.index)).toEqual([0]);
    expectSumOfAttempts(cancelled);
  });

  it('settling adds the figure once, to the record and to the job, even after the job ended', () => {
    const cancelled = ok(cancelJob(running('animatediff', 'replicate', { providerJobId: 'pred-1' }), { now: at(30_000) })).job;
    const { job: settled } = ok(applyUnchanged(cancelled, (j) => settleAttemptCost(j, { attemptIndex: 0, providerJobId: 'pred-1', costUsd: 0.0195, now: at(40_000) })));
    expect(settled.state).toBe('cancelled');
    expect(settled.attempts[0]).toMatchObject({ costUsd: 0.0195, costKnown: true });
    expect(settled.costUsd).toBe(0.0195);
    expect(settled.costPending).toBe(false);
    expect(attemptsAwaitingCost(settled)).toEqual([]);
    expectSumOfAttempts(settled);
    expect(settleAttemptCost(settled, { attemptIndex: 0, providerJobId: 'pred-1', costUsd: 1, now: at(50_000) })).toEqual(refused('cost_known'));
    expect(settleAttemptCost(settled, { attemptIndex: 7, providerJobId: 'pred-1', costUsd: 1, now: at(50_000) })).toEqual(refused('cost_known'));
  });

  it('a prediction whose runner died is pending too, and settles on the job that moved on', () => {
    const job = running('animatediff', 'replicate', { providerJobId: 'pred-1' });
    const expired = ok(expireLease(job, { attemptIndex: 0, now: at(10 * LEASE_MS) })).job;
    expect(expired.state).toBe('queued');
    expect(expired.attempts[0]).toMatchObject({ costKnown: false, providerJobId: 'pred-1' });
    const settled = ok(settleAttemptCost(expired, { attemptIndex: 0, providerJobId: 'pred-1', costUsd: 0.05, now: at(11 * LEASE_MS) })).job;
    expect(settled.attempt).toEqual(expired.attempt);
    expectSumOfAttempts(settled);
    expect(settled.costUsd).toBe(0.05);
  });

  it('a Replicate attempt cancelled before it saved a prediction cost nothing and is final', () => {
    const cancelled = ok(cancelJob(running('animatediff', 'replicate'), { now: at(3_000) })).job;
    expect(cancelled.attempts[0]).toMatchObject({ costUsd: 0, costKnown: true });
    expect(cancelled.costPending).toBe(false);
  });

  it('a runner that reports its own end has the final figure', () => {
    const job = running('animatediff', 'replicate', { providerJobId: 'pred-1' });
    const done = ok(finishAttempt(job, { leaseToken: 'tok', result: { outcome: 'failed', error: errorOf('provider_timeout'), costUsd: 0.03 }, now: at(9_000) })).job;
    expect(done.attempts[0]).toMatchObject({ costUsd: 0.03, costKnown: true, providerJobId: 'pred-1' });
    expect(done.costPending).toBe(false);
  });
});

describe('a prediction whose id its runner could not save on the attempt is still charged', () => {
  it('a job cancelled between the create and the save keeps the id beside the attempt, pending, and settles its charge after the end', () => {
    const claimed = running('animatediff', 'replicate');
    const cancelled = ok(cancelJob(claimed, { now: at(3_000) })).job;
    expect(recordProviderJob(cancelled, { leaseToken: 'tok', providerJobId: 'pred-1', now: at(3_500) })).toEqual(refused('job_terminal'));

    const { job: recorded } = ok(applyUnchanged(cancelled, (j) => recordStrayProviderJob(j, { attempt: claimed.attempt!, providerJobId: 'pred-1', now: at(4_000) })));
    expect(recorded.state).toBe('cancelled');
    expect(recorded.attempts).toEqual([
      expect.objectContaining({ index: 0, outcome: 'cancelled', providerJobId: null, costKnown: true }),
      expect.objectContaining({ index: 0, outcome: 'cancelled', providerJobId: 'pred-1', costUsd: 0, costKnown: false, workerId: 'runner-1', endedAt: at(4_000) }),
    ]);
    expect(recorded.costPending).toBe(true);
    expect(attemptsAwaitingCost(recorded).map((a) => a.providerJobId)).toEqual(['pred-1']);
    expectSumOfAttempts(recorded);
    expect(recordStrayProviderJob(recorded, { attempt: claimed.attempt!, providerJobId: 'pred-1', now: at(5_000) })).toEqual(refused('provider_job_known'));

    const settled = ok(settleAttemptCost(recorded, { attemptIndex: 0, providerJobId: 'pred-1', costUsd: 0.02, now: at(60_000) })).job;
    expect(settled).toMatchObject({ state: 'cancelled', costUsd: 0.02, costPending: false });
    expect(settled.attempts.map((a) => a.costUsd)).toEqual([0, 0.02]);
    expectSumOfAttempts(settled);
  });

  it('a lease taken over meanwhile leaves the new holder\'s attempt as it is, and the record beside it is no try of its own', () => {
    // The tier's second try: the first failed.
    const first = ok(finishAttempt(running('animatediff', 'replicate'), { leaseToken: 'tok', result: { outcome: 'failed', error: errorOf('provider_failed'), costUsd: 0.01 }, now: at(5_000) })).job;
    const claimed = ok(claimAttempt(first, { attemptIndex: 1, backend: 'replicate', workerId: 'runner-1', leaseToken: 'tok-1', leaseMs: LEASE_MS, now: at(6_000) })).job;
    const takenOver = ok(claimAttempt(claimed, { attemptIndex: 1, backend: 'replicate', workerId: 'runner-2', leaseToken: 'tok-2', leaseMs: LEASE_MS, now: at(10 * LEASE_MS) })).job;
    expect(recordProviderJob(takenOver, { leaseToken: 'tok-1', providerJobId: 'pred-1', now: at(10 * LEASE_MS + 1) })).toEqual(refused('lease_lost'));

    const recorded = ok(recordStrayProviderJob(takenOver, { attempt: claimed.attempt!, providerJobId: 'pred-1', now: at(10 * LEASE_MS + 2) })).job;
    expect(recorded.attempt).toEqual(takenOver.attempt);
    expect(recorded).toMatchObject({ state: 'running', costPending: true });
    expect(recorded.attempts[1]).toMatchObject({ index: 1, providerJobId: 'pred-1', workerId: 'runner-1', costKnown: false });
    expectSumOfAttempts(recorded);

    // Attempt 1 failing is the tier's second try, not its third: the tier is tried once more.
    const retried = ok(finishAttempt(recorded, { leaseToken: 'tok-2', result: { outcome: 'failed', error: errorOf('provider_failed'), costUsd: 0.01 }, now: at(11 * LEASE_MS) }));
    expect(retried.next).toEqual({ kind: 'dispatch', attemptIndex: 2 });
    expect(retried.job.attempt).toMatchObject({ index: 2, tier: 'animatediff' });
    expect(settleAttemptCost(retried.job, { attemptIndex: 1, providerJobId: null, costUsd: 1, now: at(12 * LEASE_MS) })).toEqual(refused('cost_known'));
    const settled = ok(settleAttemptCost(retried.job, { attemptIndex: 1, providerJobId: 'pred-1', costUsd: 0.03, now: at(12 * LEASE_MS) })).job;
    expect(settled.costUsd).toBe(0.05);
    expectSumOfAttempts(settled);
  });

  it('a GPU worker\'s prompt is not recorded that way: its time is charged on the attempt', () => {
    const claimed = running('animatediff', 'comfyui', { usdPerHour: GPU_USD_PER_HOUR });
    const cancelled = ok(cancelJob(claimed, { now: at(60_000) })).job;
    expect(recordStrayProviderJob(cancelled, { attempt: claimed.attempt!, providerJobId: 'prompt-1', now: at(61_000) })).toEqual(refused('cost_known'));
  });
});

describe('retention: the job says when it and its video go', () => {
  it('a job carries its retention from creation, with the defaults when none is given', () => {
    expect(newJob().retentionDays).toEqual(DEFAULT_RETENTION_DAYS);
    const custom = createJob({ ownerUid: 'u', request: REQUEST, plan: ['veo'], now: T0, retentionDays: { job: 14, video: 7 } }).job;
    expect(custom.retentionDays).toEqual({ job: 14, video: 7 });
    expect(custom.expiresAt).toBeNull();
  });

  it('stays without expiresAt while it runs, and gets one on every end', () => {
    const job = running('animatediff', 'comfyui', { usdPerHour: GPU_USD_PER_HOUR });
    expect(job.expiresAt).toBeNull();
    const end = at(60_000);
    const expected = new Date(end.getTime() + DEFAULT_RETENTION_DAYS.job * DAY_MS);
    const succeeded = ok(finishAttempt(job, { leaseToken: 'tok', result: { outcome: 'succeeded', output: OUTPUT, costUsd: 0.01 }, now: end })).job;
    const failed = ok(finishAttempt(job, { leaseToken: 'tok', result: { outcome: 'failed', error: errorOf('provider_bad_request'), costUsd: 0 }, now: end })).job;
    const cancelled = ok(cancelJob(job, { now: end })).job;
    for (const ended of [succeeded, failed, cancelled]) expect(ended.expiresAt).toEqual(expected);
    const retried = ok(finishAttempt(job, { leaseToken: 'tok', result: { outcome: 'failed', error: errorOf('comfyui_stalled'), costUsd: 0 }, now: end })).job;
    expect(retried.state).toBe('queued');
    expect(retried.expiresAt).toBeNull();
  });

  it('a succeeded job\'s output says when the lifecycle rule may remove its video', () => {
    const job = createJob({ ownerUid: 'u', request: REQUEST, plan: ['veo'], now: T0, retentionDays: { job: 60, video: 7 } }).job;
    const claimed = ok(claimAttempt(job, { attemptIndex: 0, backend: 'gemini', workerId: 'w', leaseToken: 'tok', leaseMs: LEASE_MS, now: at(1) })).job;
    const done = ok(finishAttempt(claimed, { leaseToken: 'tok', result: { outcome: 'succeeded', output: OUTPUT, costUsd: 3.2 }, now: at(10) })).job;
    expect(done.output!.expiresAt).toEqual(new Date(at(10).getTime() + 7 * DAY_MS));
    expect(done.expiresAt).toEqual(new Date(at(10).getTime() + 60 * DAY_MS));
    expect(isOutputExpired(done.output, at(10 + 7 * DAY_MS - 1))).toBe(false);
    expect(isOutputExpired(done.output, at(10 + 7 * DAY_MS))).toBe(true);
    expect(isOutputExpired(null, at(0))).toBe(false);
    expect(isOutputExpired({ expiresAt: null }, at(0))).toBe(false);
  });

  it('documents written before these fields parse with the defaults', () => {
    const job = newJob();
    const { costPending: _p, retentionDays: _r, expiresAt: _e, ...older } = job;
    const attempt = { ...job.attempt! } as Record<string, unknown>;
    delete attempt.costUsd;
    delete attempt.usdPerHour;
    const parsed = JobSchema.parse({ ...older, attempt });
    expect(parsed).toEqual(job);
  });
});
