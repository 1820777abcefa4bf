import { pino } from 'pino';
import { CliConfigError, USAGE, readCliOptions } from './cli-config';
import { createComfySimulator } from './simulator';

/** CLI entry: start a simulator from flags and environment, stop it on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  let parsed;
  try {
    parsed = readCliOptions(process.argv.slice(2), process.env);
  } catch (error) {
    if (!(error instanceof CliConfigError)) throw error;
    process.stderr.write(`comfyui-sim: ${error.message}\n\n${USAGE}\n`);
    process.exit(2);
  }
  if (parsed.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const log = pino({ name: 'comfyui-sim', level: parsed.options.logLevel ?? 'info' });
  const simulator = await createComfySimulator({ ...parsed.options, logger: log, onExit: (code) => process.exit(code) });

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    simulator.close().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'failed to stop cleanly');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  pino({ name: 'comfyui-sim' }).fatal({ err: error }, 'comfyui-sim failed to start');
  process.exit(1);
});
