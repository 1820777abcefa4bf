import { join } from 'node:path';
import { offsetPorts } from '../stack/ports';
import { ROOT, type StackOptions } from '../stack/stack';

/**
 * The benchmark's own stack: one worker (MAX_CONCURRENT_JOBS 2, its default) on ports moved by
 * 40000 (`BENCH_PORT_OFFSET` moves them elsewhere, to run two benches at once), so it runs beside
 * `npm start` and the test stacks (10000, 20000, 30000). Workers only
 * (`comfyui-only`), so that every job measures our GPU path; a long worker wait so that 20 queued
 * jobs wait for the one worker rather than fail over. The RunPod simulator's pods (the autoscale
 * section) provision for 1 s and boot for 4 s, and sample at 250 ms a step (5 s of 20 steps).
 */
export const BENCH_OPTIONS: StackOptions = {
  projectId: 'demo-vidgen-bench',
  backendPolicy: 'comfyui-only',
  workers: 1,
  ports: offsetPorts(Number(process.env.BENCH_PORT_OFFSET ?? 40000)),
  stateDir: join(ROOT, '.stack', 'bench'),
  maxActiveJobsPerUser: 5,
  runpod: { provisionMs: 1000, bootMs: 4000, simStepMs: 250 },
  timing: { leaseSeconds: 30, heartbeatSeconds: 5, watchdogTickSeconds: 10, workerWaitSeconds: 600, historyPollSeconds: 5, stallTimeoutSeconds: 120, simStepMs: 50 },
};
