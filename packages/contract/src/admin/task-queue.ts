import type { Functions } from 'firebase-admin/functions';
import { attemptTaskId, RUN_ATTEMPT_FUNCTION, type RunAttemptTask } from '../dispatch';
import type { RepositoryResult } from './job-repository';

/** Seconds Cloud Tasks waits for `runAttempt` before it counts the delivery as failed. */
export const RUN_ATTEMPT_DISPATCH_DEADLINE_SECONDS = 1800;

/** What an enqueue failure's code means and what an operator does about it. */
export interface EnqueueFailureDescription {
  /** The Admin SDK's code (`functions/permission-denied`, ...), or `unknown`. */
  code: string;
  /** Whether the same enqueue may work later without anyone changing anything. */
  transient: boolean;
  /** What to fix, in one sentence. */
  fix: string;
}

const RECOVERY = 'The job stays pending; the watchdog re-dispatches it once this is fixed.';

/**
 * Turns a failed `taskQueue().enqueue` into what to fix. The Admin SDK puts the caller's own service
 * account in the task's OIDC token, so enqueueing needs `roles/cloudtasks.enqueuer` and
 * `roles/iam.serviceAccountUser` on that account itself; the queue exists once the functions are deployed.
 */
export function describeEnqueueFailure(error: unknown): EnqueueFailureDescription {
  if (error instanceof EnqueueFailed) return error.description;
  const given = (error as { code?: unknown } | null)?.code;
  const code = typeof given === 'string' ? given : 'unknown';
  const message = error instanceof Error ? error.message : String(error);
  const describe = (transient: boolean, fix: string) => ({ code, transient, fix: `${fix} ${RECOVERY}` });
  switch (code) {
    case 'functions/permission-denied':
      if (/SERVICE_DISABLED|has not been used|is disabled/i.test(message)) {
        return describe(false, 'The Cloud Tasks API is not enabled in this project: enable cloudtasks.googleapis.com.');
      }
      return describe(false, 'The service account this runs as may not enqueue tasks for itself: grant it roles/cloudtasks.enqueuer and roles/iam.serviceAccountUser on itself (the task\'s OIDC token names it).');
    case 'functions/not-found':
      return describe(false, `The ${RUN_ATTEMPT_FUNCTION} task queue does not exist in this location: deploy the functions (firebase deploy creates it) or run \`npm run queues -- provision\`, and check the region (FUNCTIONS_LOCATION on workers).`);
    case 'functions/failed-precondition':
      return describe(false, `The ${RUN_ATTEMPT_FUNCTION} queue refuses tasks (disabled, or being deleted): check \`npm run queues -- status\`.`);
    case 'functions/unauthenticated':
    case 'functions/invalid-credential':
    case 'app/invalid-credential':
      return describe(false, 'This runtime has no valid Google credentials: check its service account (GOOGLE_APPLICATION_CREDENTIALS on a pod).');
    case 'functions/invalid-argument':
      return describe(false, 'Cloud Tasks refused the task as invalid: a bug or an out-of-range dispatch deadline; see the message.');
    default:
      if (/Failed to determine (service account|project ID)/.test(message)) {
        return describe(false, 'The Admin SDK cannot tell which service account or project it runs as: give the runtime a service account (or GOOGLE_CLOUD_PROJECT).');
      }
      return describe(true, 'Cloud Tasks did not take the task (network or service error); it may work on the next try.');
  }
}

/** A hand-off to the task queue failed; carries the job, the task and what to fix. */
export class EnqueueFailed extends Error {
  override readonly name = 'EnqueueFailed';
  readonly description: EnqueueFailureDescription;
  constructor(readonly jobId: string, readonly taskId: string, cause: unknown) {
    const description = describeEnqueueFailure(cause);
    super(`Could not enqueue ${taskId} (${description.code}): ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.description = description;
  }
}

/**
 * Hands an attempt to the `runAttempt` task queue under its derived name. A name that already
 * exists means this hand-off already happened, which is success; any other failure throws
 * {@link EnqueueFailed}.
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
  const id = attemptTaskId(task.jobId, task.attemptIndex, task.dispatchCount);
  try {
    await functions.taskQueue<RunAttemptTask>(name).enqueue(payload, { id, dispatchDeadlineSeconds: RUN_ATTEMPT_DISPATCH_DEADLINE_SECONDS });
    return 'enqueued';
  } catch (error) {
    if ((error as { code?: string }).code === 'functions/task-already-exists') return 'already_enqueued';
    throw new EnqueueFailed(task.jobId, id, error);
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
