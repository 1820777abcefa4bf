import { pino, type Logger } from 'pino';

/** A command line the simulator cannot run with; its message says which flag or variable is wrong. */
export class CliConfigError extends Error {}

export interface SimulatorProgram<T> {
  /** The program's name, for messages. */
  name: string;
  usage: string;
  /** Reads flags and environment: what to start, or 'help'. Throws {@link CliConfigError} on bad input. */
  parse(argv: string[], env: NodeJS.ProcessEnv): T | 'help';
  /** Starts the simulator; resolves once it serves. */
  start(parsed: T): Promise<{ log: Logger; simulator: { close(): Promise<void> } }>;
}

/**
 * Runs a simulator process: parses its command line (bad input prints the usage and exits 2),
 * starts it, and closes it on SIGTERM or SIGINT.
 */
export function runSimulatorCli<T>(program: SimulatorProgram<T>): void {
  void main(program).catch((error: unknown) => {
    pino({ name: program.name }).fatal({ err: error }, `${program.name} failed to start`);
    process.exit(1);
  });
}

async function main<T>(program: SimulatorProgram<T>): Promise<void> {
  let parsed: T | 'help';
  try {
    parsed = program.parse(process.argv.slice(2), process.env);
  } catch (error) {
    if (!(error instanceof CliConfigError)) throw error;
    process.stderr.write(`${program.name}: ${error.message}\n\n${program.usage}\n`);
    process.exit(2);
  }
  if (parsed === 'help') {
    process.stdout.write(`${program.usage}\n`);
    return;
  }
  const { log, simulator } = await program.start(parsed);

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
