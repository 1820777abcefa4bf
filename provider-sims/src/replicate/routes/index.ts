import type { FastifyInstance } from 'fastify';
import type { ReplicateCore } from '../replicate-core';
import { requireToken } from './auth';
import { registerFileRoutes } from './files';
import { registerPredictionRoutes } from './predictions';
import { configureReplicateErrors } from './replicate-http';
import { registerReplicateSimControlRoutes } from './sim-control';
import { registerStreamRoutes } from './streams';
import { registerUploadRoutes } from './uploads';
import { registerWebhookRoutes } from './webhooks';

/** The API routes under `/v1` (token required, requests recorded), the files, the streams and `/sim/`. */
export async function registerReplicateRoutes(app: FastifyInstance, core: ReplicateCore): Promise<void> {
  configureReplicateErrors(app, core.log);
  await app.register(async (api) => {
    requireToken(api, core);
    api.addHook('onResponse', async (request, reply) => {
      core.requests.record({ method: request.method, path: request.url, status: reply.statusCode, ...(core.details.has(request) ? { detail: core.details.get(request) } : {}) });
      core.log.debug({ method: request.method, path: request.url, status: reply.statusCode }, 'Replicate simulator request');
    });
    registerPredictionRoutes(api, core);
    registerWebhookRoutes(api, core);
    registerUploadRoutes(api, core);
  });
  await app.register(async (open) => {
    registerFileRoutes(open, core);
    registerStreamRoutes(open, core);
    registerReplicateSimControlRoutes(open, core);
  });
}
