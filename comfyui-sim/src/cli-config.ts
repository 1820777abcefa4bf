import { parseArgs } from 'node:util';
import { z } from 'zod';
import type { ComfySimulatorOptions } from './options';
import { CliConfigError } from '@vidgen/sim-kit';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Each setting: its flag, its environment variable and how to read it. */
const SETTINGS = {
  host: { flag: 'host', env: 'COMFY_SIM_HOST', schema: z.string().min(1) },
  port: { flag: 'port', env: 'COMFY_SIM_PORT', schema: z.coerce.number().int().min(0).max(65535) },
  dataDir: { flag: 'data-dir', env: 'COMFY_SIM_DATA_DIR', schema: z.string().min(1) },
  modelLoadMs: { flag: 'model-load-ms', env: 'COMFY_SIM_MODEL_LOAD_MS', schema: z.coerce.number().min(0) },
  stepMs: { flag: 'step-ms', env: 'COMFY_SIM_STEP_MS', schema: z.coerce.number().min(0) },
  decodeMs: { flag: 'decode-ms', env: 'COMFY_SIM_DECODE_MS', schema: z.coerce.number().min(0) },
  frameMs: { flag: 'frame-ms', env: 'COMFY_SIM_FRAME_MS', schema: z.coerce.number().min(0) },
  absentModels: { flag: 'absent-models', env: 'COMFY_SIM_ABSENT_MODELS', schema: z.string() },
  absentNodes: { flag: 'absent-nodes', env: 'COMFY_SIM_ABSENT_NODES', schema: z.string() },
  ffmpegPath: { flag: 'ffmpeg', env: 'FFMPEG_PATH', schema: z.string().min(1) },
  logLevel: { flag: 'log-level', env: 'COMFY_SIM_LOG_LEVEL', schema: z.enum(LOG_LEVELS) },
} as const;

type SettingName = keyof typeof SETTINGS;

/** Usage text for `--help`. */
export const USAGE = [
  'comfyui-sim: a ComfyUI simulator (not ComfyUI, no GPU)',
  '',
  ...Object.values(SETTINGS).map(({ flag, env }) => `  --${flag.padEnd(15)} env ${env}`),
  '',
  '  --absent-models takes a comma-separated list of model files (name or folder/name);',
  '  --absent-nodes a comma-separated list of node classes to treat as not installed.',
].join('\n');

/** Thrown for a bad flag or variable; the message names it. */
export { CliConfigError };

/** Reads the simulator's options from command-line flags, falling back to the environment. */
export function readCliOptions(argv: string[], env: NodeJS.ProcessEnv): { help: boolean; options: ComfySimulatorOptions } {
  const flagOptions = Object.fromEntries(Object.values(SETTINGS).map(({ flag }) => [flag, { type: 'string' as const }]));
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: argv, options: { ...flagOptions, help: { type: 'boolean' } }, strict: true }));
  } catch (error) {
    throw new CliConfigError((error as Error).message);
  }
  const read = <K extends SettingName>(name: K): z.infer<(typeof SETTINGS)[K]['schema']> | undefined => {
    const { flag, env: variable, schema } = SETTINGS[name];
    const fromFlag = values[flag];
    const raw = typeof fromFlag === 'string' ? fromFlag : env[variable];
    if (raw === undefined || raw === '') return undefined;
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      throw new CliConfigError(`--${flag} / ${variable}: ${parsed.error.issues.map((issue) => issue.message).join('; ')} (got ${JSON.stringify(raw)})`);
    }
    return parsed.data as z.infer<(typeof SETTINGS)[K]['schema']>;
  };

  const timing = Object.fromEntries(
    (['modelLoadMs', 'stepMs', 'decodeMs', 'frameMs'] as const).map((name) => [name, read(name)]).filter(([, value]) => value !== undefined),
  );
  const list = (value: string | undefined) => (value ? value.split(',').map((name) => name.trim()).filter(Boolean) : []);
  return {
    help: values.help === true,
    options: {
      host: read('host'),
      port: read('port'),
      dataDir: read('dataDir'),
      timing,
      absentModels: list(read('absentModels')),
      absentNodes: list(read('absentNodes')),
      ffmpegPath: read('ffmpegPath'),
      logLevel: read('logLevel') ?? 'info',
    },
  };
}
