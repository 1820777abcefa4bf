import type { Functions } from 'firebase-admin/functions';

export interface EnqueuedTask {
  queue: string;
  payload: unknown;
  id: string | undefined;
}

/**
 * Cloud Tasks as the Admin SDK's `taskQueue().enqueue` reaches it: a task id seen before is refused
 * with `functions/task-already-exists`, as Cloud Tasks de-duplicates names; `failWith` makes every
 * enqueue fail (a missing queue, a missing role).
 */
export class TaskQueueFake {
  readonly tasks: EnqueuedTask[] = [];
  failWith: Error | null = null;

  readonly functions = {
    taskQueue: (queue: string) => ({
      enqueue: async (payload: unknown, options: { id?: string } = {}) => {
        if (this.failWith) throw this.failWith;
        if (options.id && this.tasks.some((task) => task.id === options.id)) {
          throw Object.assign(new Error(`Task ${options.id} already exists`), { code: 'functions/task-already-exists' });
        }
        this.tasks.push({ queue, payload, id: options.id });
      },
    }),
  } as unknown as Functions;

  /** The tasks enqueued for one job, as `{jobId, attemptIndex}` payloads. */
  forJob(jobId: string): EnqueuedTask[] {
    return this.tasks.filter((task) => (task.payload as { jobId?: string }).jobId === jobId);
  }
}
