import {
  AttemptRequestSchema,
  AttemptResponseSchema,
  attemptTaskId,
  ERROR_CODES,
  ErrorCodeSchema,
  errorClassOf,
  initialProgress,
  isTerminal,
  JobError,
  JobErrorSchema,
  percentFor,
  ProgressSchema,
  RunAttemptTaskSchema,
  StageSchema,
  TERMINAL_STATES,
  userMessageFor,
} from '@vidgen/contract';
import { T0 } from './helpers';

describe('errors', () => {
  it('classes every code as retry, failover or fatal', () => {
    for (const code of ERROR_CODES) expect(['retry', 'failover', 'fatal']).toContain(errorClassOf(code));
    expect(ErrorCodeSchema.options).toEqual(ERROR_CODES);
  });

  it('JobError carries its code, the catalogue message by default, and its class', () => {
    const error = new JobError('gpu_out_of_memory');
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('JobError');
    expect(error.code).toBe('gpu_out_of_memory');
    expect(error.message).toBe('The GPU ran out of memory making this video.');
    expect(error.errorClass).toBe('failover');
    expect(new JobError('internal', 'custom').message).toBe('custom');
  });

  it('toData marks only retry-class errors as retryable, and JobErrorSchema accepts it', () => {
    for (const code of ERROR_CODES) {
      const data = new JobError(code).toData();
      expect(data.retryable).toBe(errorClassOf(code) === 'retry');
      expect(data.code).toBe(code);
      expect(data.message.length).toBeGreaterThan(0);
      expect(JobErrorSchema.parse(data)).toEqual(data);
    }
  });

  it('toData stores the owner-readable message: the detail stays on the error for logs', () => {
    const detail = 'The video could not be encoded: ffmpeg exited with 1: /tmp/vidgen-w1/job-1-x/comfy-output.webp: Invalid data';
    const error = new JobError('encode_failed', detail, { cause: new Error('ffmpeg') });
    expect(error.message).toBe(detail);
    expect(error.toData()).toEqual({ code: 'encode_failed', message: userMessageFor('encode_failed'), retryable: true });
    expect(JobError.from(new Error('ECONNREFUSED http://127.0.0.1:9199/upload')).toData().message).toBe('An unexpected error occurred.');
    expect(new JobError('safety_filtered', 'detail', { userMessage: 'Rephrase the prompt.' }).toData().message).toBe('Rephrase the prompt.');
    expect(new JobError('internal').cause).toBeUndefined();
  });

  it('JobError.is matches by name and code, also across a serialisation boundary', () => {
    const error = new JobError('storage_failed');
    expect(JobError.is(error)).toBe(true);
    expect(JobError.is(error, 'storage_failed')).toBe(true);
    expect(JobError.is(error, 'internal')).toBe(false);
    expect(JobError.is({ name: 'JobError', code: 'internal', message: 'x' }, 'internal')).toBe(true);
    expect(JobError.is(new Error('x'))).toBe(false);
    expect(JobError.is({ name: 'JobError' })).toBe(false);
    expect(JobError.is(null)).toBe(false);
    expect(JobError.is('JobError')).toBe(false);
  });

  it('JobError.from keeps a JobError and turns anything else into internal, keeping its message and cause', () => {
    const original = new JobError('encode_failed');
    expect(JobError.from(original)).toBe(original);
    const cause = new Error('disk full');
    const wrapped = JobError.from(cause);
    expect(wrapped.code).toBe('internal');
    expect(wrapped.message).toBe('An unexpected error occurred. disk full');
    expect(wrapped.cause).toBe(cause);
    expect(JobError.from('boom').message).toBe('An unexpected error occurred. boom');
  });

  it('JobErrorSchema refuses an unknown code', () => {
    expect(JobErrorSchema.safeParse({ code: 'gpu_on_fire', message: 'x', retryable: false }).success).toBe(false);
  });
});

describe('job states', () => {
  it('knows which states are terminal', () => {
    expect(TERMINAL_STATES).toEqual(['succeeded', 'failed', 'cancelled']);
    expect(isTerminal('queued')).toBe(false);
    expect(isTerminal('running')).toBe(false);
    for (const state of TERMINAL_STATES) expect(isTerminal(state)).toBe(true);
  });
});

describe('progress', () => {
  it('initialProgress is queued at 0 and valid', () => {
    const progress = initialProgress(T0);
    expect(progress).toEqual({ percent: 0, stage: 'queued', step: null, totalSteps: null, etaSeconds: null, updatedAt: T0 });
    expect(ProgressSchema.parse(progress)).toEqual(progress);
  });

  it('places each stage at the start of its span when no step is known', () => {
    expect(StageSchema.options.map((stage) => percentFor(stage))).toEqual([0, 0, 2, 8, 85, 90, 95, 100]);
  });

  it('interpolates within a stage by step, rounded to one decimal', () => {
    expect(percentFor('sampling', 10, 20)).toBe(46.5);
    expect(percentFor('sampling', 20, 20)).toBe(85);
    expect(percentFor('sampling', 1, 3)).toBe(33.7);
    expect(percentFor('loading_models', 1, 2)).toBe(5);
  });

  it('clamps a step past the total to the end of the stage', () => {
    expect(percentFor('sampling', 30, 20)).toBe(85);
  });

  it('never moves backwards as the stages advance', () => {
    let last = -1;
    for (const stage of StageSchema.options) {
      for (const step of [0, 1, 5, 10]) {
        const percent = percentFor(stage, step, 10);
        expect(percent).toBeGreaterThanOrEqual(last);
        expect(percent).toBeLessThanOrEqual(100);
        last = percent;
      }
    }
  });

  it('ProgressSchema refuses a percent outside 0-100', () => {
    expect(ProgressSchema.safeParse({ ...initialProgress(T0), percent: 101 }).success).toBe(false);
    expect(ProgressSchema.safeParse({ ...initialProgress(T0), percent: -1 }).success).toBe(false);
  });
});

describe('dispatch', () => {
  it('names a task after job, attempt and dispatch count, so each re-dispatch gets a new name', () => {
    expect(attemptTaskId('job-1', 0, 0)).toBe('job-1-a0-d0');
    expect(attemptTaskId('job-1', 2, 3)).toBe('job-1-a2-d3');
    expect(attemptTaskId('job-1', 0, 1)).not.toBe(attemptTaskId('job-1', 0, 0));
  });

  it('validates task, attempt request and attempt response payloads', () => {
    expect(RunAttemptTaskSchema.parse({ jobId: 'j', attemptIndex: 1 })).toEqual({ jobId: 'j', attemptIndex: 1 });
    expect(RunAttemptTaskSchema.safeParse({ jobId: '', attemptIndex: 1 }).success).toBe(false);
    expect(RunAttemptTaskSchema.safeParse({ jobId: 'j', attemptIndex: -1 }).success).toBe(false);
    expect(RunAttemptTaskSchema.safeParse({ jobId: 'j', attemptIndex: 0.5 }).success).toBe(false);
    expect(AttemptRequestSchema.safeParse({ jobId: 'j', attemptIndex: 0, tier: 'svd' }).success).toBe(true);
    expect(AttemptRequestSchema.safeParse({ jobId: 'j', attemptIndex: 0, tier: 'auto' }).success).toBe(false);
    expect(AttemptResponseSchema.safeParse({ status: 'accepted', workerId: 'w', leaseExpiresAt: T0.toISOString() }).success).toBe(true);
    expect(AttemptResponseSchema.safeParse({ status: 'stale', workerId: 'w' }).success).toBe(true);
    expect(AttemptResponseSchema.safeParse({ status: 'rejected', workerId: 'w' }).success).toBe(false);
  });
});
