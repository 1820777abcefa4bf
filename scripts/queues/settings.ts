/**
 * The Cloud Tasks queues behind our task-queue functions, with the settings `firebase deploy` gives them.
 *
 * firebase-tools names the queue of an onTaskDispatched function after the function itself, in the
 * function's region: projects/P/locations/REGION/queues/runAttempt (lib/gcp/cloudtasks.js
 * queueNameForEndpoint), which is also where firebase-admin's taskQueue('runAttempt') enqueues.
 * `firebase deploy` upserts these queues too, from the options in functions/src/index.ts on top of its
 * DEFAULT_SETTINGS; the settings here are exactly that result, so provisioning before or after a
 * deploy converges on the same queues. scripts/test/queues.test.ts checks these numbers against
 * functions/src/index.ts.
 */

/** The settings we manage on a queue; durations in seconds. */
export interface QueueSettings {
  maxAttempts: number;
  minBackoffSeconds: number;
  maxBackoffSeconds: number;
  maxDoublings: number;
  maxConcurrentDispatches: number;
  maxDispatchesPerSecond: number;
}

export interface QueueSpec {
  /** The queue id, which is the task-queue function's name. */
  id: string;
  settings: QueueSettings;
}

/** firebase-tools' DEFAULT_SETTINGS for a task queue, under which a function's own options apply. */
export const FIREBASE_DEFAULTS: QueueSettings = {
  maxAttempts: 3,
  minBackoffSeconds: 0.1,
  maxBackoffSeconds: 3600,
  maxDoublings: 16,
  maxConcurrentDispatches: 1000,
  maxDispatchesPerSecond: 500,
};

export const QUEUES: readonly QueueSpec[] = [
  {
    // retryConfig { maxAttempts: 200, minBackoffSeconds: 1, maxBackoffSeconds: 15, maxDoublings: 4 },
    // rateLimits { maxConcurrentDispatches: 100 }; maxDispatchesPerSecond is firebase-tools' default.
    id: 'runAttempt',
    settings: { ...FIREBASE_DEFAULTS, maxAttempts: 200, minBackoffSeconds: 1, maxBackoffSeconds: 15, maxDoublings: 4, maxConcurrentDispatches: 100 },
  },
  {
    // retryConfig { maxAttempts: 1 }; the rest are firebase-tools' defaults (a sweep that fails is
    // not retried: the next tick sweeps again).
    id: 'watchdogTick',
    settings: { ...FIREBASE_DEFAULTS, maxAttempts: 1 },
  },
];

/** Where a setting lives in the v2 Queue resource: its update-mask path (proto field names). */
export const MASK_PATHS: Record<keyof QueueSettings, string> = {
  maxAttempts: 'retry_config.max_attempts',
  minBackoffSeconds: 'retry_config.min_backoff',
  maxBackoffSeconds: 'retry_config.max_backoff',
  maxDoublings: 'retry_config.max_doublings',
  maxConcurrentDispatches: 'rate_limits.max_concurrent_dispatches',
  maxDispatchesPerSecond: 'rate_limits.max_dispatches_per_second',
};

export const SETTING_KEYS = Object.keys(MASK_PATHS) as (keyof QueueSettings)[];
