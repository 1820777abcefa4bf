import { join, relative } from 'node:path';
import { exitReport, exitSummary, type ComponentExit } from './stack/component-exit';
import { DEFAULT_PORTS, offsetPorts, PROJECT_ID } from './stack/ports';
import { DEMO_OPTIONS, ROOT, startStack, type Stack, type StackOptions } from './stack/stack';

function numberFlag(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
}

/** The stack `npm start` runs: the demo's, its ports moved by --port-offset N (a project and state folder of their own). */
function stackOptions(): StackOptions {
  const workers = numberFlag('--workers', DEMO_OPTIONS.workers);
  if (!Number.isInteger(workers) || workers < 1 || workers > 8) throw new Error('--workers must be a whole number from 1 to 8');
  const offset = numberFlag('--port-offset', 0);
  const highest = Math.max(...Object.values(DEFAULT_PORTS)) + 8;
  if (!Number.isInteger(offset) || offset < 0 || highest + offset > 65535) throw new Error(`--port-offset must be a whole number from 0 to ${65535 - highest}`);
  if (offset === 0) return { ...DEMO_OPTIONS, workers };
  return { ...DEMO_OPTIONS, workers, ports: offsetPorts(offset), projectId: `${PROJECT_ID}-${offset}`, stateDir: join(ROOT, '.stack', `offset-${offset}`) };
}

/**
 * `npm start`: the local stack in the foreground. Ctrl-C (or SIGTERM) stops every process it started.
 * A component that dies is reported at once; a worker or ComfyUI simulator is restarted, anything
 * else stops the stack with exit status 1. Flags: --workers N (default 1), --port-offset N (default 0).
 */
async function main(): Promise<void> {
  const options = stackOptions();
  let stack: Stack | null = null;
  let stopping = false;
  const stop = async (status: number) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\nStopping the local stack…\n');
    await stack?.stop();
    process.exit(status);
  };
  const down: { exit?: ComponentExit } = {};
  const onFailure = (exit: ComponentExit) => {
    if (exit.outcome === 'restarting') {
      const tail = exit.logTail.slice(-5).map((line) => `    ${line}`);
      process.stderr.write(`\n! ${exitSummary(exit)}; restarting it (restart ${exit.restarts}).\n${tail.join('\n')}${tail.length ? '\n' : ''}`);
      return;
    }
    process.stderr.write(`\nThe local stack is down: ${exitReport(exit)}\n`);
    down.exit = exit;
    if (stack) void stop(1);
  };

  stack = await startStack(options, (step) => process.stdout.write(`… ${step}\n`), onFailure);
  if (down.exit) {
    await stop(1);
    return;
  }
  const { ports } = stack.state;
  const rows: Array<[string, string]> = [
    ['Demo page (Hosting emulator)', `http://127.0.0.1:${ports.hosting}`],
    ['Firestore emulator', `127.0.0.1:${ports.firestore}`],
    ['Auth emulator', `127.0.0.1:${ports.auth}`],
    ['Functions emulator', `127.0.0.1:${ports.functions} (createVideoJob, cancelVideoJob, runAttempt, watchdogTick)`],
    ['Cloud Tasks emulator', `127.0.0.1:${ports.tasks}`],
    ['Local object store', `http://127.0.0.1:${ports.store}`],
    ['Veo (Gemini API) SIMULATOR', `http://127.0.0.1:${ports.veo}`],
    ['Replicate SIMULATOR', `http://127.0.0.1:${ports.replicate}`],
    ['RunPod SIMULATOR', `${stack.state.runpod.url} (GPU fleet off until config/fleet enables it; docs/runpod-fleet.md)`],
    ...stack.state.workers.flatMap((w): Array<[string, string]> => [
      [`GPU worker ${w.workerId}`, `${w.url} (/health, /health/detailed, /metrics)`],
      ['  ComfyUI SIMULATOR (no GPU)', w.comfyuiUrl],
    ]),
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  process.stdout.write(`\nThe local stack is up (project ${stack.state.projectId}). Logs: ${relative(ROOT, join(options.stateDir, 'logs'))}/\n\n`);
  for (const [name, where] of rows) process.stdout.write(`  ${name.padEnd(width)}  ${where}\n`);
  process.stdout.write('\nPress Ctrl-C to stop everything.\n');
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
}

main().catch((error: Error) => {
  process.stderr.write(`The local stack did not start: ${error.message}\n`);
  process.exit(1);
});
