import type { Functions } from 'firebase-admin/functions';
import { attemptTaskId, RUN_ATTEMPT_FUNCTION, type RunAttemptTask } from '../dispatch';
import type { RepositoryResult } from './job-repository';

/** Seconds Cloud Tasks waits for `runAttempt` before it counts the delivery as failed. */
export const RUN_ATTEMPT_DISPATCH_DEADLINE_SECONDS = 1800;

/**
 * Hands an attempt to the `runAttempt` task queue under its derived name. A name that already
 * exists means this hand-off already happened, which is success.
 */
export async function enqueueAttempt(
  functions: Functions,
  task: RunAttemptTask & { dispatchCount: number },
  options: { functionLocation?: string } = {},
): Promise<'enqueued' | 'already_enqueued'> {
  const name = options.functionLocation
    ? `locations/${options.functionLocation}/functions/${RUN_ATTEMPT_FUNCTION}`
    : RUN_ATTEMPT_FUNCTION;
  const payload: RunAttemptTask = { jobId: task.jobId, attemptIndex: task.attemptIndex };
  try {
    await functions.taskQueue<RunAttemptTask>(name).enqueue(payload, {
      id: attemptTaskId(task.jobId, task.attemptIndex, task.dispatchCount),
      dispatchDeadlineSeconds: RUN_ATTEMPT_DISPATCH_DEADLINE_SECONDS,
    });
    return 'enqueued';
  } catch (error) {
    if ((error as { code?: string }).code === 'functions/task-already-exists') return 'already_enqueued';
    throw error;
  }
}

/** Hands on the attempt a written transition asks for next, if it asks for one; says which it handed on. */
export async function dispatchNext(
  functions: Functions,
  jobId: string,
  result: RepositoryResult,
  options: { functionLocation?: string } = {},
): Promise<number | null> {
  if (!result.ok || result.next.kind !== 'dispatch' || !result.job.attempt) return null;
  const { attemptIndex } = result.next;
  await enqueueAttempt(functions, { jobId, attemptIndex, dispatchCount: result.job.attempt.dispatchCount }, options);
  return attemptIndex;
}
