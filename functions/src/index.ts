import { onCall } from 'firebase-functions/v2/https';
import { onSchedule } from 'firebase-functions/v2/scheduler';
import { onTaskDispatched } from 'firebase-functions/v2/tasks';
import { cancelVideoJob as cancelVideoJobHandler } from './api/cancel-video-job';
import { createVideoJob as createVideoJobHandler } from './api/create-video-job';
import { BackendPolicySchema } from '@vidgen/contract';
import {
  backendPolicy,
  geminiApiKey,
  REGION,
  replicateApiToken,
  workerRequestTimeoutSeconds,
  workerSecret,
  workerWaitSeconds,
} from './config';
import { runAttempt as runAttemptHandler } from './orchestration/run-attempt';
import { replicateFromConfig, veoFromConfig } from './providers/from-config';
import { sweep } from './orchestration/watchdog';
import { getServices } from './services';

export const createVideoJob = onCall({ region: REGION }, (request) => createVideoJobHandler(request, getServices()));

export const cancelVideoJob = onCall({ region: REGION }, (request) => cancelVideoJobHandler(request, getServices()));

export const runAttempt = onTaskDispatched(
  {
    region: REGION,
    secrets: [workerSecret, geminiApiKey, replicateApiToken],
    timeoutSeconds: 1800,
    memory: '1GiB',
    retryConfig: { maxAttempts: 200, minBackoffSeconds: 1, maxBackoffSeconds: 15, maxDoublings: 4 },
    rateLimits: { maxConcurrentDispatches: 100 },
  },
  (request) =>
    runAttemptHandler(request.data, getServices(), {
      workerSecret: workerSecret.value(),
      workerWaitMs: workerWaitSeconds.value() * 1000,
      workerRequestTimeoutMs: workerRequestTimeoutSeconds.value() * 1000,
      policy: BackendPolicySchema.parse(backendPolicy.value()),
      veo: veoFromConfig(),
      replicate: replicateFromConfig(),
    }),
);

function sweepNow(): Promise<unknown> {
  return sweep(getServices(), { pendingStaleMs: (workerWaitSeconds.value() + 60) * 1000 });
}

/** The watchdog, every minute in production (Cloud Scheduler). */
export const watchdog = onSchedule({ region: REGION, schedule: 'every 1 minutes' }, async () => {
  await sweepNow();
});

/**
 * The same sweep as a task, for places without Cloud Scheduler: the local stack enqueues one every
 * few seconds. A sweep that fails is not retried; the next tick sweeps again.
 */
export const watchdogTick = onTaskDispatched({ region: REGION, retryConfig: { maxAttempts: 1 } }, async () => {
  await sweepNow();
});
