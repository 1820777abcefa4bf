import type { Functions } from 'firebase-admin/functions';
import { describeEnqueueFailure, EnqueueFailed, enqueueAttempt, InvalidJobDocument, parseJob } from '@vidgen/contract/admin';
import { newJob } from './helpers';

/** An error as firebase-admin's FirebaseFunctionsError carries it: a `functions/...` code and the server's message. */
function adminError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

/** A task queue whose enqueue fails with `error` (or succeeds when null), recording what it was asked. */
function queueFailingWith(error: Error | null): { functions: Functions; calls: Array<{ name: string; id: unknown }> } {
  const calls: Array<{ name: string; id: unknown }> = [];
  const functions = {
    taskQueue: (name: string) => ({
      enqueue: async (_payload: unknown, options: { id?: string }) => {
        calls.push({ name, id: options.id });
        if (error) throw error;
      },
    }),
  } as unknown as Functions;
  return { functions, calls };
}

describe('describeEnqueueFailure', () => {
  it('says which roles are missing when Cloud Tasks refuses the enqueue', () => {
    const failure = describeEnqueueFailure(adminError('functions/permission-denied', 'The principal lacks IAM permission "iam.serviceAccounts.actAs"'));
    expect(failure).toMatchObject({ code: 'functions/permission-denied', transient: false });
    expect(failure.fix).toMatch(/roles\/iam\.serviceAccountUser/);
    expect(failure.fix).toMatch(/roles\/cloudtasks\.enqueuer/);
    expect(failure.fix).toMatch(/watchdog re-dispatches/);
  });

  it('tells a disabled API from a missing role', () => {
    const failure = describeEnqueueFailure(adminError('functions/permission-denied', 'Cloud Tasks API has not been used in project 123 before or it is disabled. SERVICE_DISABLED'));
    expect(failure.fix).toMatch(/enable cloudtasks\.googleapis\.com/);
  });

  it('says how to create a queue that does not exist', () => {
    const failure = describeEnqueueFailure(adminError('functions/not-found', 'Queue does not exist.'));
    expect(failure).toMatchObject({ code: 'functions/not-found', transient: false });
    expect(failure.fix).toMatch(/runAttempt task queue does not exist/);
    expect(failure.fix).toMatch(/npm run queues -- provision/);
  });

  it('names credentials, a service account that cannot be found, and treats the rest as transient', () => {
    expect(describeEnqueueFailure(adminError('app/invalid-credential', 'Failed to fetch a token')).fix).toMatch(/no valid Google credentials/);
    expect(describeEnqueueFailure(adminError('functions/unknown-error', 'Failed to determine service account. Initialize the SDK ...')).fix).toMatch(/which service account/);
    expect(describeEnqueueFailure(adminError('functions/unknown-error', 'Unexpected response with status: 503'))).toMatchObject({ transient: true });
    expect(describeEnqueueFailure('socket hang up')).toMatchObject({ code: 'unknown', transient: true });
  });
});

describe('enqueueAttempt', () => {
  it('names the task after the job, attempt and dispatch count', async () => {
    const queue = queueFailingWith(null);
    await expect(enqueueAttempt(queue.functions, { jobId: 'job-1', attemptIndex: 2, dispatchCount: 1 }, { functionLocation: 'europe-west1' })).resolves.toBe('enqueued');
    expect(queue.calls).toEqual([{ name: 'locations/europe-west1/functions/runAttempt', id: 'job-1-a2-d1' }]);
  });

  it('counts an existing task name as done', async () => {
    const queue = queueFailingWith(adminError('functions/task-already-exists', 'A task with ID job-1-a0-d0 already exists'));
    await expect(enqueueAttempt(queue.functions, { jobId: 'job-1', attemptIndex: 0, dispatchCount: 0 })).resolves.toBe('already_enqueued');
  });

  it('throws EnqueueFailed with the job, the task and what to fix', async () => {
    const cause = adminError('functions/permission-denied', 'denied');
    const queue = queueFailingWith(cause);
    const error = await enqueueAttempt(queue.functions, { jobId: 'job-1', attemptIndex: 0, dispatchCount: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EnqueueFailed);
    const failed = error as EnqueueFailed;
    expect(failed).toMatchObject({ jobId: 'job-1', taskId: 'job-1-a0-d0', cause });
    expect(failed.message).toMatch(/functions\/permission-denied.*denied/);
    expect(describeEnqueueFailure(failed)).toBe(failed.description);
    expect(failed.description.fix).toMatch(/serviceAccountUser/);
  });
});

describe('parseJob', () => {
  it('parses a job as Firestore returns it', () => {
    const job = newJob();
    expect(parseJob(job, 'job-1')).toEqual(job);
  });

  it('throws InvalidJobDocument naming the job and every bad field', () => {
    const { request: _dropped, ...drifted } = { ...newJob(), schemaVersion: 2 };
    const error = (() => {
      try {
        parseJob(drifted, 'job-9');
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(InvalidJobDocument);
    const invalid = error as InvalidJobDocument;
    expect(invalid.jobId).toBe('job-9');
    expect(invalid.message).toMatch(/^Job document job-9 is invalid: /);
    expect(invalid.problems.join('; ')).toMatch(/schemaVersion/);
    expect(invalid.problems.join('; ')).toMatch(/request/);
  });
});
