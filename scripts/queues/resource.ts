import type { Duration, Queue } from './tasks-lib';
import { SETTING_KEYS, type QueueSettings } from './settings';

export type { Queue };

/** A protobuf Duration from seconds. */
export function duration(seconds: number): Duration {
  const whole = Math.floor(seconds);
  return { seconds: whole, nanos: Math.round((seconds - whole) * 1e9) };
}

/** Seconds from a protobuf Duration as the client returns it (seconds may be a string or a Long). */
export function durationSeconds(value: Duration | null | undefined): number | undefined {
  if (!value) return undefined;
  return Number(value.seconds ?? 0) + (value.nanos ?? 0) / 1e9;
}

/** "0.1s", "15s": seconds as the gcloud flags and the REST API write them. */
export function formatSeconds(seconds: number | undefined): string {
  return seconds === undefined ? '?' : `${Number(seconds.toFixed(9))}s`;
}

/** The v2 Queue resource for `settings`, as createQueue and updateQueue take it. */
export function toQueue(name: string, settings: QueueSettings): Queue {
  return {
    name,
    rateLimits: { maxDispatchesPerSecond: settings.maxDispatchesPerSecond, maxConcurrentDispatches: settings.maxConcurrentDispatches },
    retryConfig: {
      maxAttempts: settings.maxAttempts,
      minBackoff: duration(settings.minBackoffSeconds),
      maxBackoff: duration(settings.maxBackoffSeconds),
      maxDoublings: settings.maxDoublings,
    },
  };
}

/** The settings we manage, read from a queue; a field the queue lacks is undefined. */
export function readSettings(queue: Queue): Partial<QueueSettings> {
  return {
    maxAttempts: queue.retryConfig?.maxAttempts ?? undefined,
    minBackoffSeconds: durationSeconds(queue.retryConfig?.minBackoff),
    maxBackoffSeconds: durationSeconds(queue.retryConfig?.maxBackoff),
    maxDoublings: queue.retryConfig?.maxDoublings ?? undefined,
    maxConcurrentDispatches: queue.rateLimits?.maxConcurrentDispatches ?? undefined,
    maxDispatchesPerSecond: queue.rateLimits?.maxDispatchesPerSecond ?? undefined,
  };
}

export interface SettingChange {
  key: keyof QueueSettings;
  from: number | undefined;
  to: number;
}

/** The settings in which `actual` differs from `desired`, in SETTING_KEYS order. */
export function diffSettings(actual: Partial<QueueSettings>, desired: QueueSettings): SettingChange[] {
  return SETTING_KEYS.flatMap((key) => {
    const from = actual[key];
    // Durations come back as seconds + nanos: compare to the nanosecond, not bit for bit.
    return from !== undefined && Math.abs(from - desired[key]) < 1e-9 ? [] : [{ key, from, to: desired[key] }];
  });
}

/** "maxAttempts=200 minBackoff=1s ...": settings for humans. */
export function describeSettings(settings: Partial<QueueSettings>): string {
  return SETTING_KEYS.map((key) => `${key.replace(/Seconds$/, '')}=${formatSetting(key, settings[key])}`).join(' ');
}

/** A setting for humans: durations as "15s", a missing one as "unset". */
export function formatSetting(key: keyof QueueSettings, value: number | undefined): string {
  if (key.endsWith('Seconds')) return formatSeconds(value);
  return value === undefined ? 'unset' : String(value);
}
