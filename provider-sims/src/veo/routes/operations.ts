import type { FastifyInstance } from 'fastify';
import { requestBaseUrl } from '../../shared/http-server';
import type { VeoCore } from '../veo-core';
import { notFound } from '../veo-errors';
import { isDone, operationJson } from '../veo-operations';

/** `GET /v1beta/models/{model}/operations/{id}`: the operation, done once its latency has passed. */
export function registerOperationRoutes(app: FastifyInstance, core: VeoCore): void {
  app.get('/v1beta/models/*', async (request) => {
    const target = (request.params as { '*': string })['*'];
    const match = /^([^/]+)\/operations\/([^/]+)$/.exec(target);
    if (!match) throw notFound(`The requested URL ${request.url.split('?')[0]} was not found on this server.`);
    const name = `models/${match[1]}/operations/${match[2]}`;
    const operation = core.operations.get(name);
    if (!operation) throw notFound(`Operation ${name} not found.`);
    core.counters.polls += 1;
    operation.polls += 1;
    const now = Date.now();
    const done = isDone(operation, now);
    if (done) for (const file of operation.files) core.files.publish(file);
    core.details.set(request, { operation: name, done });
    return operationJson(operation, now, requestBaseUrl(request));
  });
}
