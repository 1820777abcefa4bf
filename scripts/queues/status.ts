import type { CloudTasksClient, ListTasksRequest, Task, Timestamp } from './tasks-lib';
import { QueueApiError, QueueError } from './errors';
import { getQueueOrNull, type Target } from './provision';
import { durationSeconds, formatSeconds } from './resource';

/** Tasks per listTasks page (the API's maximum), and how many pages `status` reads at most. */
export const PAGE_SIZE = 1000;
export const MAX_PAGES = 10;

export interface Depth {
  /** Tasks counted. */
  tasks: number;
  /** True when there were more than MAX_PAGES pages: `tasks` is then a lower bound. */
  more: boolean;
  /** Creation time of the oldest task counted, in ms since the epoch. */
  oldestCreateMs?: number;
}

/**
 * Counts a queue's tasks by listing them. Cloud Tasks v2 has no queue statistics (Queue.stats and
 * getQueue's readMask exist only in v2beta3), so this reads at most MAX_PAGES pages.
 */
export async function queueDepth(client: CloudTasksClient, id: string, name: string): Promise<Depth> {
  const depth: Depth = { tasks: 0, more: false };
  let pageToken: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    let tasks: Task[];
    let next: ListTasksRequest | null;
    try {
      [tasks, next] = await client.listTasks({ parent: name, pageSize: PAGE_SIZE, pageToken }, { autoPaginate: false });
    } catch (error) {
      throw new QueueApiError(id, 'listTasks', error);
    }
    depth.tasks += tasks.length;
    for (const task of tasks) {
      const created = timestampMs(task.createTime);
      if (created !== undefined && (depth.oldestCreateMs === undefined || created < depth.oldestCreateMs)) depth.oldestCreateMs = created;
    }
    pageToken = next?.pageToken ?? undefined;
    if (!pageToken) return depth;
  }
  depth.more = true;
  return depth;
}

/** Prints a queue's state, rate limits, retry configuration and depth; a QueueError when it does not exist. */
export async function printQueueStatus(client: CloudTasksClient, target: Target, id: string, print: (line: string) => void, now = Date.now()): Promise<void> {
  const name = client.queuePath(target.project, target.location, id);
  const queue = await getQueueOrNull(client, id, name);
  if (!queue) {
    throw new QueueError(id, `not found in ${target.project}/${target.location} (create it with: npm run queues -- provision --project ${target.project} --location ${target.location})`);
  }
  const depth = await queueDepth(client, id, name);
  const rate = queue.rateLimits ?? {};
  const retry = queue.retryConfig ?? {};
  print(`${id} (${name})`);
  print(`  state  ${String(queue.state ?? 'STATE_UNSPECIFIED')}`);
  print(`  rate   maxDispatchesPerSecond=${rate.maxDispatchesPerSecond ?? '?'} maxBurstSize=${rate.maxBurstSize ?? '?'} maxConcurrentDispatches=${rate.maxConcurrentDispatches ?? '?'}`);
  print(
    `  retry  maxAttempts=${retry.maxAttempts ?? '?'} minBackoff=${formatSeconds(durationSeconds(retry.minBackoff))} ` +
      `maxBackoff=${formatSeconds(durationSeconds(retry.maxBackoff))} maxDoublings=${retry.maxDoublings ?? '?'} ` +
      `maxRetryDuration=${formatSeconds(durationSeconds(retry.maxRetryDuration) ?? 0)}`,
  );
  const count = `${depth.more ? 'at least ' : ''}${depth.tasks}`;
  const oldest = depth.oldestCreateMs === undefined ? '' : `, oldest created ${formatAge(now - depth.oldestCreateMs)} ago`;
  print(`  tasks  ${count}${oldest}`);
}

function timestampMs(value: Timestamp | null | undefined): number | undefined {
  if (!value) return undefined;
  return Number(value.seconds ?? 0) * 1000 + Math.floor((value.nanos ?? 0) / 1e6);
}

/** "42s", "5m 3s", "2h 10m". */
export function formatAge(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${seconds % 60}s`;
  return `${Math.floor(seconds / 3600)}h ${Math.floor((seconds % 3600) / 60)}m`;
}
