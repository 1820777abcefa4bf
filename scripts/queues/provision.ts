import type { CloudTasksClient } from './tasks-lib';
import { GRPC, grpcCode, QueueApiError } from './errors';
import { describeSettings, diffSettings, formatSetting, readSettings, toQueue, type Queue, type SettingChange } from './resource';
import { MASK_PATHS, type QueueSpec } from './settings';

export interface Target {
  project: string;
  location: string;
}

export type Outcome = 'created' | 'updated' | 'unchanged';

/**
 * Creates `spec`'s queue, or updates the settings of an existing one that differ (and only those: the
 * update mask names just them), printing what it did. With `dryRun`, reads only and prints what it
 * would do.
 */
export async function provisionQueue(
  client: CloudTasksClient,
  target: Target,
  spec: QueueSpec,
  options: { dryRun: boolean; print: (line: string) => void },
): Promise<Outcome> {
  const name = client.queuePath(target.project, target.location, spec.id);
  const where = `${spec.id} in ${target.project}/${target.location}`;
  let existing = await getQueueOrNull(client, spec.id, name);
  if (!existing) {
    if (options.dryRun) {
      options.print(`[queues] would create ${where}: ${describeSettings(spec.settings)}`);
      return 'created';
    }
    try {
      await client.createQueue({ parent: client.locationPath(target.project, target.location), queue: toQueue(name, spec.settings) });
      options.print(`[queues] created ${where}: ${describeSettings(spec.settings)}`);
      return 'created';
    } catch (error) {
      // Created by someone else (a deploy) since we looked: compare with that one instead.
      if (grpcCode(error) !== GRPC.ALREADY_EXISTS) throw new QueueApiError(spec.id, 'createQueue', error);
      existing = await getQueueOrNull(client, spec.id, name);
      if (!existing) throw new QueueApiError(spec.id, 'createQueue', error);
    }
  }
  const changes = diffSettings(readSettings(existing), spec.settings);
  if (changes.length === 0) {
    options.print(`[queues] ${where} is up to date`);
    return 'unchanged';
  }
  if (!options.dryRun) {
    try {
      await client.updateQueue({ queue: toQueue(name, spec.settings), updateMask: { paths: changes.map((change) => MASK_PATHS[change.key]) } });
    } catch (error) {
      throw new QueueApiError(spec.id, 'updateQueue', error);
    }
  }
  options.print(`[queues] ${options.dryRun ? 'would update' : 'updated'} ${where}: ${changes.map(describeChange).join(', ')}`);
  return 'updated';
}

/** The queue, or null when it does not exist. */
export async function getQueueOrNull(client: CloudTasksClient, id: string, name: string): Promise<Queue | null> {
  try {
    const [queue] = await client.getQueue({ name });
    return queue;
  } catch (error) {
    if (grpcCode(error) === GRPC.NOT_FOUND) return null;
    throw new QueueApiError(id, 'getQueue', error);
  }
}

function describeChange(change: SettingChange): string {
  return `${MASK_PATHS[change.key]} ${formatSetting(change.key, change.from)} -> ${formatSetting(change.key, change.to)}`;
}
