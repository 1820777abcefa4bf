import { DEMO_OPTIONS, startStack } from './stack/stack';

/**
 * `npm start`: the local stack in the foreground. Ctrl-C (or SIGTERM) stops every process it started.
 * Flags: --workers N (default 1).
 */
async function main(): Promise<void> {
  const workersFlag = process.argv.indexOf('--workers');
  const workers = workersFlag > 0 ? Number(process.argv[workersFlag + 1]) : DEMO_OPTIONS.workers;
  if (!Number.isInteger(workers) || workers < 1 || workers > 8) throw new Error('--workers must be a whole number from 1 to 8');

  const stack = await startStack({ ...DEMO_OPTIONS, workers }, (step) => process.stdout.write(`… ${step}\n`));
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
    ...stack.state.workers.flatMap((w): Array<[string, string]> => [
      [`GPU worker ${w.workerId}`, `${w.url} (/health, /health/detailed, /metrics)`],
      ['  ComfyUI SIMULATOR (no GPU)', w.comfyuiUrl],
    ]),
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  process.stdout.write(`\nThe local stack is up (project ${stack.state.projectId}). Logs: .stack/logs/\n\n`);
  for (const [name, where] of rows) process.stdout.write(`  ${name.padEnd(width)}  ${where}\n`);
  process.stdout.write('\nPress Ctrl-C to stop everything.\n');

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\nStopping the local stack…\n');
    await stack.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((error: Error) => {
  process.stderr.write(`The local stack did not start: ${error.message}\n`);
  process.exit(1);
});
