import { join } from 'node:path';
import { exitReport, exitSummary } from '../../scripts/stack/component-exit';
import { offsetPorts } from '../../scripts/stack/ports';
import { startStack, DEMO_OPTIONS, ROOT, type Stack } from '../../scripts/stack/stack';

declare global {
  var vidgenStack: Stack | undefined;
}

/**
 * Starts the local stack once for the `stack` test project: two workers, short leases and a fast
 * watchdog so that a dead worker's attempt is handed back within seconds. The workers' clocks are
 * 4 s behind and 4 s ahead of the emulators' (more than half the lease), so every test also runs
 * with machines that disagree on the time. A Veo or Replicate run whose function invocation was
 * killed is taken up again after 20 s rather than production's minute. It runs on the default
 * ports moved by STACK_PORT_OFFSET (10000), under a project of its own, so that it never meets a
 * stack started by `npm start`.
 *
 * A component that dies is reported on the console at once: a worker or ComfyUI simulator (which
 * the fault tests kill on purpose) is restarted; anything else marks the stack down in its state
 * file, so every test that reads it from then on fails with what died and why.
 */
export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  const offset = Number(process.env.STACK_PORT_OFFSET ?? 10000);
  const stateDir = join(ROOT, '.stack', `test-${offset}`);
  process.env.VIDGEN_STACK_STATE = join(stateDir, 'stack.json');
  globalThis.vidgenStack = await startStack(
    {
      ...DEMO_OPTIONS,
      projectId: `demo-vidgen-test-${offset}`,
      ports: offsetPorts(offset),
      workers: 2,
      stateDir,
      maxActiveJobsPerUser: 3,
      workerClockSkewMs: [-4000, 4000],
      // Tests that edit config/limits wait this long for the functions to see it.
      limitsCacheSeconds: 1,
      // Pods of the RunPod simulator boot in seconds rather than minutes.
      runpod: { provisionMs: 200, bootMs: 1000 },
      timing: { leaseSeconds: 6, heartbeatSeconds: 2, watchdogTickSeconds: 2, workerWaitSeconds: 20, historyPollSeconds: 2, stallTimeoutSeconds: 8, simStepMs: 60, providerLeaseSeconds: 20 },
    },
    (step) => process.stdout.write(`[stack] ${step}\n`),
    (exit) => {
      if (exit.outcome === 'restarting') process.stdout.write(`[stack] ${exitSummary(exit)}: restarting it\n`);
      else process.stderr.write(`\n[stack] THE TEST STACK IS DOWN: ${exitReport(exit)}\n\n`);
    },
  );
  process.stdout.write(`[stack] ready in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}
