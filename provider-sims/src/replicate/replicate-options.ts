import type { Logger } from 'pino';
import { z } from 'zod';
import { CommonSettingsSchema, CredentialsSchema } from '../shared/settings';
import { ReplicateModelKindSchema } from './replicate-models';

/** The serialisable options of a Replicate simulator (CLI flags and environment map onto these). */
export const ReplicateSettingsSchema = CommonSettingsSchema.extend({
  token: CredentialsSchema.describe('API token(s) accepted as `Authorization: Bearer <token>`; absent: any non-empty token'),
  startMs: z.number().min(0).default(300).describe('time a prediction spends `starting`'),
  predictMs: z.number().min(0).default(2000).describe('time a prediction spends `processing`, unless a script entry says otherwise'),
  logsIntervalMs: z.number().min(0).default(500).describe('least time between two `logs` webhooks of a prediction'),
  versions: z.record(z.string().min(1), ReplicateModelKindSchema).default({}).describe('version id → kind, added to the two default versions'),
  models: z
    .record(z.string().regex(/^[^/\s]+\/[^/\s]+$/), ReplicateModelKindSchema)
    .default({})
    .describe('official models (owner/name → kind) that POST /v1/models/{owner}/{name}/predictions accepts; none by default'),
  webhookSecret: z
    .string()
    .regex(/^whsec_[A-Za-z0-9+/]+={0,2}$/)
    .optional()
    .describe('the signing secret `GET /v1/webhooks/default/secret` returns; default a random one'),
});
export type ReplicateSettings = z.infer<typeof ReplicateSettingsSchema>;

/** Options of {@link createReplicateSimulator}. */
export type ReplicateSimulatorOptions = z.input<typeof ReplicateSettingsSchema> & {
  /** Logger to use instead of a new pino logger at `logLevel`. */
  logger?: Logger;
};
