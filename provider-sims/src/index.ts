import { pino } from 'pino';
import { CliConfigError, USAGE, readCliCommand, type CliCommand } from './cli/cli-config';
import { createReplicateSimulator, createVeoSimulator } from './simulators';

/** CLI entry: `veo` or `replicate` with flags; runs until SIGTERM/SIGINT. */
async function main(): Promise<void> {
  let command: CliCommand;
  try {
    command = readCliCommand(process.argv.slice(2), process.env);
  } catch (error) {
    if (!(error instanceof CliConfigError)) throw error;
    process.stderr.write(`provider-sims: ${error.message}\n\n${USAGE}\n`);
    process.exit(2);
  }
  if (command.kind === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const name = command.kind === 'veo' ? 'veo-sim' : 'replicate-sim';
  const log = pino({ name, level: command.options.logLevel ?? 'info' });
  const simulator = command.kind === 'veo' ? await createVeoSimulator({ ...command.options, logger: log }) : await createReplicateSimulator({ ...command.options, logger: log });

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
  pino({ name: 'provider-sims' }).fatal({ err: error }, 'provider-sims failed to start');
  process.exit(1);
});
