/** How long one tick may run before the ticker stops waiting for it (the function's own timeout is 150 s). */
const TICK_TIMEOUT_MS = 160_000;

/**
 * The local stand-in for Cloud Scheduler: calls the `watchdogTick` function at `url` (as the Tasks
 * emulator would deliver its task) every `intervalMs`, but never while the previous call still runs.
 * The Tasks emulator ignores schedule times, so the watchdog cannot re-arm itself with delayed tasks;
 * and ticks enqueued on a timer pile up on a busy machine: each that finds the others still running
 * makes the Functions emulator start another process, which loads the functions and slows every
 * tick further.
 */
export function startWatchdogTicker(url: string, intervalMs: number): { stop(): void } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = async () => {
    const startedAt = Date.now();
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ data: {} }),
        signal: AbortSignal.timeout(TICK_TIMEOUT_MS),
      });
      await response.arrayBuffer();
    } catch {
      // A tick that failed or timed out is not retried: the next one sweeps again.
    }
    if (stopped) return;
    timer = setTimeout(() => void tick(), Math.max(0, startedAt + intervalMs - Date.now()));
    timer.unref();
  };
  timer = setTimeout(() => void tick(), intervalMs);
  timer.unref();
  return {
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
