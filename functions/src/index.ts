import { logger } from 'firebase-functions';
import { onCall } from 'firebase-functions/v2/https';
import { onSchedule } from 'firebase-functions/v2/scheduler';
import { onTaskDispatched } from 'firebase-functions/v2/tasks';
import { cancelVideoJob as cancelVideoJobHandler } from './api/cancel-video-job';
import { createVideoJob as createVideoJobHandler } from './api/create-video-job';
import { configOrNull, geminiApiKey, REGION, replicateApiToken, runpodApiKey, secrets, settings, TASK_TIMEOUT_SECONDS, workerSecret } from './config';
import { fleetController } from './fleet/from-config';
import { placeAttempt } from './orchestration/place-attempt';
import { placeAttemptOptions, replicateFromConfig } from './providers/from-config';
import { sweep } from './orchestration/watchdog';
import { getServices } from './services';

export const createVideoJob = onCall({ region: REGION }, (request) => createVideoJobHandler(request, getServices()));

export const cancelVideoJob = onCall({ region: REGION }, (request) => cancelVideoJobHandler(request, getServices()));

export const runAttempt = onTaskDispatched(
  {
    region: REGION,
    secrets: [workerSecret, geminiApiKey, replicateApiToken],
    timeoutSeconds: TASK_TIMEOUT_SECONDS,
    // /tmp is memory here, and a run's folder holds the provider's video and its remux at once: for
    // Veo's longest chain at most 2 x 370 MiB (VEO_MAX_DOWNLOAD_BYTES; larger downloads fail as
    // output_too_large), with ffprobe counting frames and ffmpeg remuxing (about 250 MiB) and Node
    // with its clients (about 200 MiB): some 1.2 GiB. Replicate's clips are far smaller. One attempt
    // per instance, or two finishing together would share that memory (with a whole CPU Firebase's
    // default concurrency is 80).
    memory: '2GiB',
    concurrency: 1,
    retryConfig: { maxAttempts: 200, minBackoffSeconds: 1, maxBackoffSeconds: 15, maxDoublings: 4 },
    rateLimits: { maxConcurrentDispatches: 100 },
  },
  async (request) => {
    // A bad parameter is logged loudly and the task ends: only a redeploy fixes it, so 200 retries
    // would change nothing. The job's attempt stays pending and the watchdog re-dispatches it then.
    const options = configOrNull(placeAttemptOptions, 'runAttempt');
    if (options) await placeAttempt(request.data, getServices(), options);
  },
);

async function sweepNow(): Promise<void> {
  const config = configOrNull(settings, 'watchdog');
  if (!config) return;
  // Replicate stops predictions nobody will use and reports what they cost; a bad secret is logged
  // and the rest of the sweep still runs.
  const replicate = configOrNull(() => replicateFromConfig(config, secrets()), 'watchdog');
  await sweep(getServices(), { pendingStaleMs: (config.WORKER_WAIT_SECONDS + 60) * 1000, replicate });
}

/** The fleet's tick: RunPod pods in line with the GPU backlog, when RUNPOD_API_KEY is set and config/fleet enables it. */
async function fleetTickNow(): Promise<void> {
  const controller = configOrNull(fleetController, 'watchdog');
  if (controller) await controller.tick();
}

/** The sweep and the fleet's tick are independent: one failing never keeps the other from running, and each failure is logged. */
async function watchdogRun(): Promise<void> {
  const results = await Promise.allSettled([sweepNow(), fleetTickNow()]);
  const failures = results.flatMap((result, i) => (result.status === 'rejected' ? [{ part: i === 0 ? 'sweep' : 'fleet tick', error: result.reason as Error }] : []));
  for (const { part, error } of failures) logger.error(`watchdog: the ${part} failed: ${error.message}`, { part, error: error.message });
  if (failures.length > 0) throw failures[0]!.error;
}

/** The secrets the watchdog reads: the Replicate token (and the others, which the secrets check reads together), and RunPod's key. */
const WATCHDOG_SECRETS = [workerSecret, geminiApiKey, replicateApiToken, runpodApiKey];

/**
 * Room for a fleet tick's RunPod calls (each at most 2 tries of 10 s), inside the tick's lease on
 * fleet/state (3 minutes), which it stops acting a minute before.
 */
const WATCHDOG_TIMEOUT_SECONDS = 150;

/** The watchdog, every minute in production (Cloud Scheduler). */
export const watchdog = onSchedule({ region: REGION, schedule: 'every 1 minutes', secrets: WATCHDOG_SECRETS, timeoutSeconds: WATCHDOG_TIMEOUT_SECONDS }, async () => {
  await watchdogRun();
});

/**
 * The same sweep and fleet tick as a task, for places without Cloud Scheduler: the local stack
 * enqueues one every few seconds. A run that fails is not retried; the next tick runs again.
 */
export const watchdogTick = onTaskDispatched(
  { region: REGION, secrets: WATCHDOG_SECRETS, timeoutSeconds: WATCHDOG_TIMEOUT_SECONDS, retryConfig: { maxAttempts: 1 } },
  async () => {
    await watchdogRun();
  },
);
