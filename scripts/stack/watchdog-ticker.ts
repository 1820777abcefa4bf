import { deleteApp, getApps, initializeApp } from 'firebase-admin/app';
import { getFunctions } from 'firebase-admin/functions';

/**
 * The local stand-in for Cloud Scheduler: enqueues the `watchdogTick` task every `intervalMs`.
 * (The Tasks emulator ignores schedule times, so the watchdog cannot re-arm itself with delayed tasks.)
 */
export function startWatchdogTicker(intervalMs: number): { stop(): void } {
  const app = getApps().find((a) => a.name === 'stack') ?? initializeApp({ projectId: process.env.GCLOUD_PROJECT }, 'stack');
  const queue = getFunctions(app).taskQueue('watchdogTick');
  const timer = setInterval(() => {
    queue.enqueue({}, { id: `tick-${Date.now()}` }).catch(() => undefined);
  }, intervalMs);
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
      void deleteApp(app);
    },
  };
}
