import { pino } from 'pino';
import { runSimulatorCli } from '@vidgen/sim-kit';
import { USAGE, readCliCommand, type CliCommand } from './cli/cli-config';
import { createReplicateSimulator, createRunpodSimulator, createVeoSimulator } from './simulators';

/** CLI entry: `veo`, `replicate` or `runpod` with flags, until SIGTERM/SIGINT. */
runSimulatorCli<Exclude<CliCommand, { kind: 'help' }>>({
  name: 'provider-sims',
  usage: USAGE,
  parse: (argv, env) => {
    const command = readCliCommand(argv, env);
    return command.kind === 'help' ? 'help' : command;
  },
  start: async (command) => {
    const log = pino({ name: `${command.kind}-sim`, level: command.options.logLevel ?? 'info' });
    const simulator =
      command.kind === 'veo'
        ? await createVeoSimulator({ ...command.options, logger: log })
        : command.kind === 'runpod'
          ? await createRunpodSimulator({ ...command.options, logger: log })
          : await createReplicateSimulator({ ...command.options, logger: log });
    return { log, simulator };
  },
});
