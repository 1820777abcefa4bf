import {
  claimAttempt,
  fitsInInvocation,
  handOffAttempt,
  isTerminal,
  nextSegmentStep,
  ownRedispatches,
  recordProviderJob,
  recordSegment,
  resumeOrExpireLease,
  segmentPlan,
  segmentsCost,
  VEO_VIDEO_RETENTION_MS,
  type Job,
  type Segment,
} from '@vidgen/contract';
import { at, claimed, LEASE_MS, newJob, ok, refused } from './helpers';

const DAY = 24 * 60 * 60 * 1000;

function segment(n: number, seconds: number, completedAt = at(n * 1000)): Segment {
  return { operation: `op-${n}`, videoUri: `files/v${n}`, seconds, costUsd: 0.4 * (n === 1 ? 8 : 7), completedAt };
}

/** A running Veo attempt under `token`. */
function veoRunning(token = 'token-1'): Job {
  return claimed(newJob(['veo']), token, at(1_000), 'functions:gemini');
}

describe('nextSegmentStep', () => {
  const plan = segmentPlan('veo', 30); // 8 s, then 4 extensions of 7 s: 36 s, trimmed to 30

  it('starts with the generation when nothing is paid', () => {
    expect(nextSegmentStep(plan, { providerJobId: null, segments: [] }, at(0))).toEqual({ kind: 'generate', segment: 1 });
  });

  it.each([1, 2, 3, 4])('resumes after %i recorded segments by extending the last one, never redoing one', (recorded) => {
    const segments = Array.from({ length: recorded }, (_, i) => segment(i + 1, 8 + 7 * i));
    const step = nextSegmentStep(plan, { providerJobId: `op-${recorded}`, segments }, at(60_000));
    expect(step).toEqual({ kind: 'extend', segment: recorded + 1, from: segments.at(-1) });
  });

  it.each([0, 1, 2, 3, 4])('follows an operation started after %i recorded segments instead of paying for it again', (recorded) => {
    const segments = Array.from({ length: recorded }, (_, i) => segment(i + 1, 8 + 7 * i));
    const step = nextSegmentStep(plan, { providerJobId: 'op-in-flight', segments }, at(60_000));
    expect(step).toEqual({ kind: 'follow', segment: recorded + 1, operation: 'op-in-flight' });
  });

  it('is done once every segment is recorded, costing what the segments cost', () => {
    const segments = [1, 2, 3, 4, 5].map((n) => segment(n, 8 + 7 * (n - 1)));
    const step = nextSegmentStep(plan, { providerJobId: 'op-5', segments }, at(60_000));
    expect(step).toEqual({ kind: 'done', last: segments[4], costUsd: segmentsCost({ segments }) });
    expect(segmentsCost({ segments })).toBeCloseTo(0.4 * 36, 6);
  });

  it('refuses to extend a video older than Veo keeps it', () => {
    const first = segment(1, 8, at(0));
    expect(nextSegmentStep(plan, { providerJobId: 'op-1', segments: [first] }, at(VEO_VIDEO_RETENTION_MS - 1)).kind).toBe('extend');
    expect(nextSegmentStep(plan, { providerJobId: 'op-1', segments: [first] }, at(2 * DAY))).toEqual({ kind: 'expired', segment: 2, from: first });
  });

  it('a single generation is one segment', () => {
    expect(segmentPlan('veo', 6)).toEqual({ baseSeconds: 6, extensions: 0 });
    const only = segment(1, 6);
    expect(nextSegmentStep(segmentPlan('veo', 6), { providerJobId: 'op-1', segments: [only] }, at(0)).kind).toBe('done');
  });
});

describe('fitsInInvocation', () => {
  it('starts a segment only while a whole segment timeout fits in what is left', () => {
    const budget = { startedAtMs: 0, budgetMs: 1_500_000, segmentTimeoutMs: 900_000 };
    expect(fitsInInvocation({ ...budget, nowMs: 600_000 })).toBe(true);
    expect(fitsInInvocation({ ...budget, nowMs: 600_001 })).toBe(false);
  });
});

describe('recordSegment', () => {
  it('appends the segment under the lease, once even when written twice', () => {
    const running = ok(recordProviderJob(veoRunning(), { leaseToken: 'token-1', providerJobId: 'op-1', now: at(2_000) })).job;
    const once = ok(recordSegment(running, { leaseToken: 'token-1', segment: segment(1, 8), now: at(3_000) })).job;
    const twice = ok(recordSegment(once, { leaseToken: 'token-1', segment: segment(1, 8), now: at(4_000) })).job;
    expect(twice.attempt?.segments).toEqual([segment(1, 8)]);
    expect(twice.attempt?.providerJobId).toBe('op-1');
  });

  it('is refused to a runner that lost the lease', () => {
    expect(recordSegment(veoRunning(), { leaseToken: 'other', segment: segment(1, 8), now: at(2_000) })).toEqual(refused('lease_lost'));
  });
});

describe('handOffAttempt', () => {
  it('hands the attempt with its segments back as pending and asks for a new task for it', () => {
    const running = ok(recordSegment(veoRunning(), { leaseToken: 'token-1', segment: segment(1, 8), now: at(3_000) })).job;
    const { job, next } = ok(handOffAttempt(running, { leaseToken: 'token-1', now: at(4_000) }));
    expect(next).toEqual({ kind: 'dispatch', attemptIndex: 0 });
    expect(job.attempt).toMatchObject({ state: 'pending', leaseToken: null, workerId: null, segments: [segment(1, 8)], resumes: 1 });
    expect(job.attempt!.dispatchCount).toBe(running.attempt!.dispatchCount + 1);
    expect(ownRedispatches(job.attempt!)).toBe(ownRedispatches(running.attempt!));
    const next2 = ok(claimAttempt(job, { attemptIndex: 0, backend: 'gemini', workerId: 'functions:gemini', leaseToken: 'token-2', leaseMs: LEASE_MS, now: at(5_000) })).job;
    expect(next2.attempt?.segments).toEqual([segment(1, 8)]);
  });

  it('is refused to a runner that lost the lease', () => {
    expect(handOffAttempt(veoRunning(), { leaseToken: 'other', now: at(2_000) })).toEqual(refused('lease_lost'));
  });
});

describe('resumeOrExpireLease', () => {
  const late = at(1_000 + LEASE_MS + 1);

  it('resumes a Veo attempt whose invocation died with an operation in flight', () => {
    const running = ok(recordProviderJob(veoRunning(), { leaseToken: 'token-1', providerJobId: 'op-1', now: at(2_000) })).job;
    const { job, next } = ok(resumeOrExpireLease(running, { attemptIndex: 0, now: late }));
    expect(next).toEqual({ kind: 'dispatch', attemptIndex: 0 });
    expect(job.attempts).toEqual([]);
    expect(job.attempt).toMatchObject({ index: 0, state: 'pending', providerJobId: 'op-1' });
  });

  it('ends an attempt with nothing paid as a plain lease expiry', () => {
    const { job } = ok(resumeOrExpireLease(veoRunning(), { attemptIndex: 0, now: late }));
    expect(job.attempts[0]?.error?.code).toBe('lease_expired');
    expect(job.attempt?.index).toBe(1);
  });

  it('leaves a live lease alone', () => {
    const running = ok(recordProviderJob(veoRunning(), { leaseToken: 'token-1', providerJobId: 'op-1', now: at(2_000) })).job;
    expect(resumeOrExpireLease(running, { attemptIndex: 0, now: at(2_000) })).toEqual(refused('lease_active'));
  });
});

/**
 * Plays a whole chain with the pure decisions, losing the invocation at every point a real one can
 * die (after starting an operation, after it finished but before it was recorded, after recording),
 * and checks that each segment is paid exactly once and the clip has the requested length.
 */
describe('a chain that loses its invocation anywhere', () => {
  const wanted = 30;
  const plan = segmentPlan('veo', wanted);
  const points = (plan.extensions + 1) * 3;

  it.each(Array.from({ length: points }, (_, i) => i))('dies at point %i and still pays each segment once', (dieAt) => {
    let job = newJob(['veo']);
    const started: string[] = [];
    let clock = 1_000;
    let point = 0;
    let token = 0;
    let result: Segment | null = null;
    while (!result) {
      token += 1;
      const leaseToken = `token-${token}`;
      job = ok(claimAttempt(job, { attemptIndex: 0, backend: 'gemini', workerId: 'functions:gemini', leaseToken, leaseMs: LEASE_MS, now: at(clock) })).job;
      let died = false;
      for (;;) {
        clock += 1_000;
        const step = nextSegmentStep(plan, job.attempt!, at(clock));
        if (step.kind === 'done') {
          result = step.last;
          break;
        }
        if (step.kind === 'expired') throw new Error('expired');
        let operation: string;
        if (step.kind === 'follow') operation = step.operation;
        else {
          operation = `op-${started.length + 1}`;
          started.push(operation);
          job = ok(recordProviderJob(job, { leaseToken, providerJobId: operation, now: at(clock) })).job;
        }
        if (point++ === dieAt) { died = true; break; }
        if (point++ === dieAt) { died = true; break; }
        const previous = job.attempt!.segments?.at(-1);
        const seconds = previous ? previous.seconds + 7 : plan.baseSeconds;
        job = ok(recordSegment(job, { leaseToken, segment: { operation, videoUri: `files/${operation}`, seconds, costUsd: 0, completedAt: at(clock) }, now: at(clock) })).job;
        if (point++ === dieAt) { died = true; break; }
      }
      if (died) {
        clock += LEASE_MS + 1_000;
        job = ok(resumeOrExpireLease(job, { attemptIndex: 0, now: at(clock) })).job;
        expect(isTerminal(job.state)).toBe(false);
        expect(job.attempt?.index).toBe(0);
      }
    }
    expect(started).toEqual(['op-1', 'op-2', 'op-3', 'op-4', 'op-5']);
    expect(result.seconds).toBe(36);
    expect(job.attempt?.segments?.map((s) => s.operation)).toEqual(started);
  });
});
