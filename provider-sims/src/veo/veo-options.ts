import type { Logger } from 'pino';
import { z } from 'zod';
import { CommonSettingsSchema, CredentialsSchema } from '../shared/settings';

/** The serialisable options of a Veo simulator (CLI flags and environment map onto these). */
export const VeoSettingsSchema = CommonSettingsSchema.extend({
  apiKey: CredentialsSchema.describe('API key(s) accepted in x-goog-api-key or ?key=; absent: any non-empty key'),
  latencyMs: z.number().min(0).optional().describe('fixed time from create to done, unless a script entry says otherwise; default a realistic time for the request times `timeScale`'),
  timeScale: z.number().gt(0).max(1).default(1).describe('shrinks the realistic operation times (0.03 turns 94 s into 2.8 s), for tests'),
  retentionMs: z.number().gt(0).default(2 * 24 * 60 * 60 * 1000).describe('how long a generated video can be downloaded or extended (the Gemini API: 2 days)'),
});
export type VeoSettings = z.infer<typeof VeoSettingsSchema>;

/** Options of {@link createVeoSimulator}. */
export type VeoSimulatorOptions = z.input<typeof VeoSettingsSchema> & {
  /** Logger to use instead of a new pino logger at `logLevel`. */
  logger?: Logger;
};
