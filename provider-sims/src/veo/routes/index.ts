import type { FastifyInstance } from 'fastify';
import { redactedUrl } from '../../shared/http-server';
import type { VeoCore } from '../veo-core';
import { requireApiKey } from './auth';
import { registerFileRoutes } from './files';
import { registerGenerateRoute } from './generate';
import { registerOperationRoutes } from './operations';
import { registerVeoSimControlRoutes } from './sim-control';
import { configureVeoErrors } from './veo-http';

/** The Gemini API routes (key required, requests recorded) and the `/sim/` control routes. */
export async function registerVeoRoutes(app: FastifyInstance, core: VeoCore): Promise<void> {
  configureVeoErrors(app, core.log);
  await app.register(async (api) => {
    requireApiKey(api, core);
    api.addHook('onResponse', async (request, reply) => {
      const path = redactedUrl(request);
      core.requests.record({ method: request.method, path, status: reply.statusCode, ...(core.details.has(request) ? { detail: core.details.get(request) } : {}) });
      core.log.debug({ method: request.method, path, status: reply.statusCode }, 'Veo simulator request');
    });
    registerGenerateRoute(api, core);
    registerOperationRoutes(api, core);
    registerFileRoutes(api, core);
  });
  await app.register(async (control) => registerVeoSimControlRoutes(control, core));
}
