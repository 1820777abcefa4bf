import { parseArgs } from 'node:util';
import { z } from 'zod';
import { ReplicateModelKindSchema } from '../replicate/replicate-models';
import type { ReplicateSimulatorOptions } from '../replicate/replicate-options';
import type { RunpodSimulatorOptions } from '../runpod/runpod-options';
import { LogLevelSchema } from '../shared/settings';
import type { VeoSimulatorOptions } from '../veo/veo-options';
import { CliConfigError } from '@vidgen/sim-kit';

/** A flag: its name, its environment variable and how to read it. */
interface Setting {
  flag: string;
  env: string;
  schema: z.ZodType;
  help: string;
}

const list = z.string().transform((value) => value.split(',').map((item) => item.trim()).filter(Boolean));
const kindMap = z.string().transform((value, ctx) => {
  const map: Record<string, z.infer<typeof ReplicateModelKindSchema>> = {};
  for (const pair of value.split(',').map((item) => item.trim()).filter(Boolean)) {
    const [key, kind] = pair.split('=');
    const parsed = ReplicateModelKindSchema.safeParse(kind);
    if (!key || !parsed.success) {
      ctx.addIssue({ code: 'custom', message: `"${pair}" is not key=svd or key=animatediff` });
      return z.NEVER;
    }
    map[key] = parsed.data;
  }
  return map;
});
/** `key=value,key=value` with each value read by `value`; keys may hold spaces (GPU type ids do). */
function pairs<T>(what: string, value: z.ZodType<T>) {
  return z.string().transform((text, ctx) => {
    const map: Record<string, T> = {};
    for (const pair of text.split(',').map((item) => item.trim()).filter(Boolean)) {
      const at = pair.lastIndexOf('=');
      const parsed = value.safeParse(pair.slice(at + 1).trim());
      if (at <= 0 || !parsed.success) {
        ctx.addIssue({ code: 'custom', message: `"${pair}" is not ${what}` });
        return z.NEVER;
      }
      map[pair.slice(0, at).trim()] = parsed.data;
    }
    return map;
  });
}
const gpuRates = pairs('gpu type id=USD per hour', z.coerce.number().min(0)).transform((rates) =>
  Object.fromEntries(Object.entries(rates).map(([id, hourlyRate]) => [id, { hourlyRate }])),
);
const volumes = pairs('volume id=data center', z.string().min(1));
const port = z.coerce.number().int().min(0).max(65535);
const ms = z.coerce.number().min(0);
const scale = z.coerce.number().gt(0).max(1);

const COMMON = {
  host: { flag: 'host', schema: z.string().min(1), help: 'interface (default 127.0.0.1)' },
  scale: { flag: 'scale', schema: scale, help: 'video size factor, 0-1 (default 1)' },
  dataDir: { flag: 'data-dir', schema: z.string().min(1), help: 'folder for videos (default a temporary one)' },
  logLevel: { flag: 'log-level', schema: LogLevelSchema, help: 'pino level (default info)' },
} as const;

/** The flags of each subcommand. */
const SETTINGS = {
  veo: {
    ...prefixed('VEO_SIM', COMMON),
    port: { flag: 'port', env: 'VEO_SIM_PORT', schema: port, help: 'port, 0 = any free one (default 8190)' },
    apiKey: { flag: 'api-key', env: 'VEO_SIM_API_KEY', schema: list, help: 'accepted API key(s), comma-separated (default: any)' },
    latencyMs: { flag: 'latency-ms', env: 'VEO_SIM_LATENCY_MS', schema: ms, help: 'fixed create → done (default: realistic, times --time-scale)' },
    timeScale: { flag: 'time-scale', env: 'VEO_SIM_TIME_SCALE', schema: scale, help: 'factor on the realistic operation times, 0-1 (default 1)' },
    retentionMs: { flag: 'retention-ms', env: 'VEO_SIM_RETENTION_MS', schema: ms, help: 'how long videos are kept (default 2 days)' },
    ffmpegPath: { flag: 'ffmpeg', env: 'FFMPEG_PATH', schema: z.string().min(1), help: 'ffmpeg binary' },
  },
  replicate: {
    ...prefixed('REPLICATE_SIM', COMMON),
    port: { flag: 'port', env: 'REPLICATE_SIM_PORT', schema: port, help: 'port, 0 = any free one (default 8191)' },
    token: { flag: 'token', env: 'REPLICATE_SIM_TOKEN', schema: list, help: 'accepted API token(s), comma-separated (default: any)' },
    startMs: { flag: 'start-ms', env: 'REPLICATE_SIM_START_MS', schema: ms, help: 'time spent starting (default 300)' },
    predictMs: { flag: 'predict-ms', env: 'REPLICATE_SIM_PREDICT_MS', schema: ms, help: 'time spent processing (default 2000)' },
    logsIntervalMs: { flag: 'logs-interval-ms', env: 'REPLICATE_SIM_LOGS_INTERVAL_MS', schema: ms, help: 'least time between logs webhooks (default 500)' },
    versions: { flag: 'versions', env: 'REPLICATE_SIM_VERSIONS', schema: kindMap, help: 'more versions: id=svd,id=animatediff' },
    models: { flag: 'models', env: 'REPLICATE_SIM_MODELS', schema: kindMap, help: 'official models: owner/name=svd,...' },
    webhookSecret: { flag: 'webhook-secret', env: 'REPLICATE_SIM_WEBHOOK_SECRET', schema: z.string().regex(/^whsec_/), help: 'signing secret, whsec_... (default random)' },
    ffmpegPath: { flag: 'ffmpeg', env: 'FFMPEG_PATH', schema: z.string().min(1), help: 'ffmpeg binary' },
  },
  runpod: {
    host: { ...COMMON.host, env: 'RUNPOD_SIM_HOST' },
    logLevel: { ...COMMON.logLevel, env: 'RUNPOD_SIM_LOG_LEVEL' },
    port: { flag: 'port', env: 'RUNPOD_SIM_PORT', schema: port, help: 'port, 0 = any free one (default 8192)' },
    apiKey: { flag: 'api-key', env: 'RUNPOD_SIM_API_KEY', schema: list, help: 'accepted API key(s), comma-separated (default: any)' },
    provisionMs: { flag: 'provision-ms', env: 'RUNPOD_SIM_PROVISION_MS', schema: ms, help: 'time spent PROVISIONING (default 500)' },
    bootMs: { flag: 'boot-ms', env: 'RUNPOD_SIM_BOOT_MS', schema: ms, help: 'time spent STARTING (default 3000)' },
    gpuTypes: { flag: 'gpu-types', env: 'RUNPOD_SIM_GPU_TYPES', schema: gpuRates, help: 'GPU types and rates: NVIDIA L40S=0.86,...' },
    dataCenters: { flag: 'data-centers', env: 'RUNPOD_SIM_DATA_CENTERS', schema: list, help: 'data center ids (default US-KS-2,EU-RO-1,CA-MTL-1)' },
    networkVolumes: { flag: 'network-volumes', env: 'RUNPOD_SIM_NETWORK_VOLUMES', schema: volumes, help: 'network volumes: vol_id=US-KS-2,...' },
  },
} satisfies Record<string, Record<string, Setting>>;

function prefixed<T extends Record<string, Omit<Setting, 'env'>>>(prefix: string, settings: T): { [K in keyof T]: T[K] & { env: string } } {
  return Object.fromEntries(
    Object.entries(settings).map(([name, setting]) => [name, { ...setting, env: `${prefix}_${setting.flag.toUpperCase().replace(/-/g, '_')}` }]),
  ) as { [K in keyof T]: T[K] & { env: string } };
}

const DEFAULT_PORTS = { veo: 8190, replicate: 8191, runpod: 8192 } as const;

/** Usage text for `--help`. */
export const USAGE = [
  'provider-sims: simulators of the Gemini API (Veo), Replicate and RunPod for tests (not the services)',
  '',
  'usage: node provider-sims/dist/index.js veo [flags]',
  '       node provider-sims/dist/index.js replicate [flags]',
  '       node provider-sims/dist/index.js runpod [flags]',
  ...Object.entries(SETTINGS).flatMap(([command, settings]) => [
    '',
    `${command}:`,
    ...Object.values(settings).map((setting: Setting) => `  --${setting.flag.padEnd(17)} env ${setting.env.padEnd(31)} ${setting.help}`),
  ]),
].join('\n');

/** Thrown for a bad command, flag or variable; the message names it. */
export { CliConfigError };

/** What the command line asks for. */
export type CliCommand =
  | { kind: 'help' }
  | { kind: 'veo'; options: VeoSimulatorOptions }
  | { kind: 'replicate'; options: ReplicateSimulatorOptions }
  | { kind: 'runpod'; options: RunpodSimulatorOptions };

/** Reads the subcommand and its flags, falling back to the environment. */
export function readCliCommand(argv: string[], env: NodeJS.ProcessEnv): CliCommand {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') return { kind: 'help' };
  if (command !== 'veo' && command !== 'replicate' && command !== 'runpod') throw new CliConfigError(`unknown command ${JSON.stringify(command)}: use veo, replicate or runpod`);
  const settings: Record<string, Setting> = SETTINGS[command];
  let values: Record<string, string | boolean | undefined>;
  try {
    const options = Object.fromEntries(Object.values(settings).map(({ flag }) => [flag, { type: 'string' as const }]));
    ({ values } = parseArgs({ args: rest, options: { ...options, help: { type: 'boolean' } }, strict: true }));
  } catch (error) {
    throw new CliConfigError((error as Error).message);
  }
  if (values.help === true) return { kind: 'help' };
  const read: Record<string, unknown> = {};
  for (const [name, { flag, env: variable, schema }] of Object.entries(settings)) {
    const fromFlag = values[flag];
    const raw = typeof fromFlag === 'string' ? fromFlag : env[variable];
    if (raw === undefined || raw === '') continue;
    const parsed = schema.safeParse(raw);
    if (!parsed.success) throw new CliConfigError(`--${flag} / ${variable}: ${parsed.error.issues.map((issue) => issue.message).join('; ')} (got ${JSON.stringify(raw)})`);
    read[name] = parsed.data;
  }
  const options = { port: DEFAULT_PORTS[command], logLevel: 'info', ...read };
  if (command === 'veo') return { kind: 'veo', options: options as VeoSimulatorOptions };
  if (command === 'runpod') return { kind: 'runpod', options: options as RunpodSimulatorOptions };
  return { kind: 'replicate', options: options as ReplicateSimulatorOptions };
}
