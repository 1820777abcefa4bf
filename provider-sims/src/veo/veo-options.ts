import type { Logger } from 'pino';
import { z } from 'zod';
import { CommonSettingsSchema, CredentialsSchema } from '../shared/settings';

/** The serialisable options of a Veo simulator (CLI flags and environment map onto these). */
export const VeoSettingsSchema = CommonSettingsSchema.extend({
  apiKey: CredentialsSchema.describe('API key(s) accepted in x-goog-api-key or ?key=; absent: any non-empty key'),
  latencyMs: z.number().min(0).default(2000).describe('time from create to done, unless a script entry says otherwise'),
});
export type VeoSettings = z.infer<typeof VeoSettingsSchema>;

/** Options of {@link createVeoSimulator}. */
export type VeoSimulatorOptions = z.input<typeof VeoSettingsSchema> & {
  /** Logger to use instead of a new pino logger at `logLevel`. */
  logger?: Logger;
};
