import { pino } from 'pino';
import { runSimulatorCli } from '@vidgen/sim-kit';
import { USAGE, readCliOptions } from './cli-config';
import { createComfySimulator } from './simulator';

/** CLI entry: a ComfyUI simulator from flags and environment, until SIGTERM/SIGINT. */
runSimulatorCli({
  name: 'comfyui-sim',
  usage: USAGE,
  parse: (argv, env) => {
    const parsed = readCliOptions(argv, env);
    return parsed.help ? 'help' : parsed.options;
  },
  start: async (options) => {
    const log = pino({ name: 'comfyui-sim', level: options.logLevel ?? 'info' });
    const simulator = await createComfySimulator({ ...options, logger: log, onExit: (code) => process.exit(code) });
    return { log, simulator };
  },
});
