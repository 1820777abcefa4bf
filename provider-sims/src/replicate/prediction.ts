import { z } from 'zod';

/** A prediction's status. */
export const PredictionStatusSchema = z.enum(['starting', 'processing', 'succeeded', 'failed', 'canceled', 'aborted']);
export type PredictionStatus = z.infer<typeof PredictionStatusSchema>;

/** Webhook events a prediction can ask for. */
export const WebhookEventSchema = z.enum(['start', 'output', 'logs', 'completed']);
export type WebhookEvent = z.infer<typeof WebhookEventSchema>;

/** A prediction as the Replicate API returns it (and posts it to webhooks). */
export const PredictionSchema = z.object({
  id: z.string(),
  model: z.string(),
  version: z.string(),
  input: z.record(z.string(), z.unknown()),
  logs: z.string(),
  output: z.unknown().nullable().describe('for these video models: the URL of one MP4'),
  data_removed: z.boolean(),
  error: z.string().nullable(),
  status: PredictionStatusSchema,
  source: z.literal('api'),
  created_at: z.string(),
  started_at: z.string().nullable(),
  completed_at: z.string().nullable(),
  urls: z.object({ get: z.string(), cancel: z.string(), stream: z.string() }),
  metrics: z.object({ predict_time: z.number().optional(), total_time: z.number().optional() }),
  webhook: z.string().optional(),
  webhook_events_filter: z.array(WebhookEventSchema).optional(),
});
export type Prediction = z.infer<typeof PredictionSchema>;

/** Whether a status is final. */
export function isTerminal(status: PredictionStatus): boolean {
  return status === 'succeeded' || status === 'failed' || status === 'canceled' || status === 'aborted';
}

/** The body of `POST /v1/predictions` (`version` required) and `POST /v1/models/{owner}/{name}/predictions`. */
export const CreatePredictionBodySchema = z.looseObject({
  version: z.string().min(1).optional().describe('a version id, or owner/name:id'),
  input: z.record(z.string(), z.unknown()),
  webhook: z.string().min(1).optional(),
  webhook_events_filter: z.array(WebhookEventSchema).optional(),
  stream: z.boolean().optional(),
});
export type CreatePredictionBody = z.infer<typeof CreatePredictionBodySchema>;
