import { z } from 'zod';

/** pino levels, `silent` included. */
export const LogLevelSchema = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);
export type LogLevel = z.infer<typeof LogLevelSchema>;

/** Options both simulators take. */
export const CommonSettingsSchema = z.object({
  host: z.string().min(1).default('127.0.0.1').describe('interface to listen on'),
  port: z.number().int().min(0).max(65535).default(0).describe('port to listen on; 0 picks a free one'),
  scale: z.number().gt(0).max(1).default(1).describe('shrinks the videos written (0.25 turns 1280x720 into 320x180), for speed'),
  dataDir: z.string().min(1).optional().describe('folder for the videos; default a new temporary folder, removed on close'),
  ffmpegPath: z.string().min(1).optional().describe('ffmpeg binary; default FFMPEG_PATH, ffmpeg on PATH, then @ffmpeg-installer/ffmpeg'),
  logLevel: LogLevelSchema.default('warn').describe('pino log level when no logger is given'),
});
export type CommonSettings = z.infer<typeof CommonSettingsSchema>;

/** One credential or several; absent means any non-empty credential is accepted. */
export const CredentialsSchema = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional();

/** Whether `presented` is acceptable under `configured` (see {@link CredentialsSchema}). */
export function credentialAccepted(configured: string | string[] | undefined, presented: string | undefined): boolean {
  if (!presented) return false;
  if (configured === undefined) return true;
  return (Array.isArray(configured) ? configured : [configured]).includes(presented);
}

/** Credentials for logging: the count, never the values. */
export function describeCredentials(configured: string | string[] | undefined): string {
  if (configured === undefined) return 'any non-empty credential';
  return `${Array.isArray(configured) ? configured.length : 1} configured credential(s)`;
}
