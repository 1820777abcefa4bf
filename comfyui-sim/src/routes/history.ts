import type { FastifyInstance } from 'fastify';
import type { RouteContext } from './context';
import { jsonObject } from './json-body';

function intParam(value: unknown): number | undefined {
  const parsed = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : undefined;
  return parsed;
}

/** `GET /history`, `GET /history/{id}` and `POST /history` (delete, clear). */
export function registerHistoryRoutes(app: FastifyInstance, { core }: RouteContext): void {
  app.get('/history', async (request) => {
    const query = request.query as Record<string, unknown>;
    return core.history.list(intParam(query.max_items), intParam(query.offset));
  });

  app.get<{ Params: { promptId: string } }>('/history/:promptId', async (request) => core.history.get(request.params.promptId));

  app.post('/history', async (request, reply) => {
    const body = jsonObject(request);
    if (body.clear) core.history.clear();
    if (Array.isArray(body.delete)) core.history.delete(body.delete);
    return reply.code(200).send();
  });
}
