import type { FastifyInstance } from 'fastify';
import type { RunpodCore } from '../runpod-core';
import { requireApiKey } from './auth';
import { registerBillingRoutes } from './billing';
import { registerPodRoutes } from './pods';
import { configureRunpodErrors } from './runpod-http';
import { registerRunpodSimControlRoutes } from './sim-control';

/** The API routes under `/v2` (key required, requests recorded) and `/sim/`. */
export async function registerRunpodRoutes(app: FastifyInstance, core: RunpodCore): Promise<void> {
  configureRunpodErrors(app, core.log);
  await app.register(async (api) => {
    requireApiKey(api, core);
    api.addHook('onResponse', async (request, reply) => {
      core.requests.record({ method: request.method, path: request.url, status: reply.statusCode });
      core.log.debug({ method: request.method, path: request.url, status: reply.statusCode }, 'RunPod simulator request');
    });
    registerPodRoutes(api, core);
    registerBillingRoutes(api, core);
  });
  await app.register(async (open) => {
    registerRunpodSimControlRoutes(open, core);
  });
}
