import type { FastifyInstance } from 'fastify';
import type { ReplicateCore } from '../replicate-core';

/** `GET /v1/webhooks/default/secret`: the key webhooks are signed with. */
export function registerWebhookRoutes(app: FastifyInstance, core: ReplicateCore): void {
  app.get('/v1/webhooks/default/secret', async () => ({ key: core.webhookSecret }));
}
