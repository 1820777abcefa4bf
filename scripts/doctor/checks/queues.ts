import type { Context } from '../context';
import { apiError, QueueApiError } from '../../queues/errors';
import { getQueueOrNull } from '../../queues/provision';
import { describeSettings, diffSettings, formatSetting, readSettings } from '../../queues/resource';
import { MASK_PATHS, QUEUES } from '../../queues/settings';
import { DOCTOR_ROLES, fail, ok, type CheckResult } from '../report';

/** gRPC codes (google.rpc.Code) the check tells apart. */
const PERMISSION_DENIED = 7;
const UNAUTHENTICATED = 16;

/**
 * Each task queue exists, runs, and has the settings `firebase deploy` gives it from
 * functions/src/index.ts (scripts/queues/settings.ts), read with the same client `npm run queues` uses.
 */
export async function checkQueues(context: Context): Promise<CheckResult[]> {
  const provision = `npm run queues -- provision --project ${context.project} --location ${context.location}`;
  const results: CheckResult[] = [];
  for (const spec of QUEUES) {
    const check = `queue ${spec.id}`;
    const name = context.tasks.queuePath(context.project, context.location, spec.id);
    let queue;
    try {
      queue = await getQueueOrNull(context.tasks, spec.id, name);
    } catch (error) {
      if (!(error instanceof QueueApiError)) throw error;
      const { code, message } = apiError(error.cause);
      const fix = code === UNAUTHENTICATED
        ? 'gcloud auth application-default login'
        : code === PERMISSION_DENIED
          ? `run the doctor as an account with ${DOCTOR_ROLES.join(' and ')} on ${context.project}`
          : 'run the doctor again';
      results.push(fail(check, `could not check (getQueue: ${message})`, fix));
      continue;
    }
    if (!queue) {
      results.push(fail(check, `does not exist in ${context.location}`, provision));
      continue;
    }
    const state = String(queue.state ?? 'STATE_UNSPECIFIED');
    if (state !== 'RUNNING') {
      results.push(fail(check, `state ${state}`, `gcloud tasks queues resume ${spec.id} --location=${context.location} --project=${context.project}`));
      continue;
    }
    const changes = diffSettings(readSettings(queue), spec.settings);
    if (changes.length > 0) {
      const differences = changes.map((change) => `${MASK_PATHS[change.key]} ${formatSetting(change.key, change.from)}, want ${formatSetting(change.key, change.to)}`);
      results.push(fail(check, differences.join('; '), provision));
      continue;
    }
    results.push(ok(check, `RUNNING, ${describeSettings(spec.settings)}`));
  }
  return results;
}
