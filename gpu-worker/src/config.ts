import { hostname } from 'node:os';
import { z } from 'zod';

const seconds = (fallback: number) => z.coerce.number().positive().default(fallback);

/** The worker's whole configuration, from the environment, parsed once at start-up. */
export const ConfigSchema = z.object({
  WORKER_ID: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, { error: 'letters, digits, _ and - only' }).default(hostname().replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 64)),
  HOST: z.string().default('0.0.0.0'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8000),
  WORKER_PUBLIC_URL: z.url({ error: 'must be the URL the dispatcher reaches this worker at, e.g. https://POD-8000.proxy.runpod.net' }).optional(),
  WORKER_SHARED_SECRET: z.string().min(16, { error: 'must be at least 16 characters (the same value as the functions secret)' }),
  METRICS_TOKEN: z.string().min(16, { error: 'must be at least 16 characters (a bearer token for /health/detailed and /metrics)' }).optional(),
  COMFYUI_URL: z.url().default('http://127.0.0.1:8188'),
  // ComfyUI has no HTTP route that deletes files: the worker shares its filesystem on a pod and removes each attempt's files there.
  COMFYUI_OUTPUT_DIR: z.string().min(1).default('/opt/ComfyUI/output'),
  COMFYUI_INPUT_DIR: z.string().min(1).default('/opt/ComfyUI/input'),
  COMFYUI_TEMP_DIR: z.string().min(1).default('/opt/ComfyUI/temp'),
  COMFYUI_SETTLE_SECONDS: seconds(120),
  MAX_CONCURRENT_JOBS: z.coerce.number().int().min(1).max(16).default(2),
  LEASE_SECONDS: seconds(60),
  HEARTBEAT_SECONDS: seconds(5),
  PROGRESS_INTERVAL_MS: z.coerce.number().int().min(100).default(1000),
  HISTORY_POLL_SECONDS: seconds(5),
  STALL_TIMEOUT_SECONDS: seconds(600),
  SHUTDOWN_GRACE_SECONDS: seconds(25),
  PULL_PENDING_ATTEMPTS: z.enum(['true', 'false']).default('true').transform((v) => v === 'true'),
  GPU_COST_PER_HOUR: z.coerce.number().min(0).default(0.44),
  STORAGE_BUCKET: z.string({ error: 'the bucket outputs go to is required, e.g. PROJECT.firebasestorage.app' }).min(1),
  WORK_DIR: z.string().optional(),
  FFMPEG_PATH: z.string().optional(),
  FFPROBE_PATH: z.string().optional(),
  FUNCTIONS_LOCATION: z.string().default('us-central1'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
});
export type Config = z.infer<typeof ConfigSchema>;

/** Parses the environment, or throws one error naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable means "not set", not zero.
  const given = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const result = ConfigSchema.safeParse(given);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`Invalid worker configuration:\n  ${problems.join('\n  ')}`);
  }
  return result.data;
}

/** The configuration with secrets hidden, for logging. */
export function redacted(config: Config): Record<string, unknown> {
  return { ...config, WORKER_SHARED_SECRET: '[redacted]', ...(config.METRICS_TOKEN ? { METRICS_TOKEN: '[redacted]' } : {}) };
}
