import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { FaultSpecSchema } from '../faults/faults';
import { TimingPatchSchema } from '../options';
import { simState } from '../sim-state';
import type { RouteContext } from './context';
import { describeZodError, jsonBody } from './json-body';

const FaultRequestSchema = z.union([FaultSpecSchema, z.array(FaultSpecSchema), z.object({ faults: z.array(FaultSpecSchema) }).strict()]);

/** The simulator's own control API under `/sim/` (not part of ComfyUI). */
export function registerSimControlRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { core } = ctx;

  app.get('/sim/state', async () => simState(ctx));

  app.get('/sim/events', async (request, reply) => {
    const { promptId } = request.query as { promptId?: unknown };
    if (promptId !== undefined && typeof promptId !== 'string') return reply.code(400).send({ error: 'promptId: must be a single string' });
    return { events: core.hub.sent.list(promptId) };
  });

  app.get('/sim/history', async () => core.history.archive());

  app.get('/sim/faults', async () => ({ faults: core.faults.list() }));

  app.post('/sim/faults', async (request, reply) => {
    const parsed = FaultRequestSchema.safeParse(jsonBody(request));
    if (!parsed.success) return reply.code(400).send({ error: describeZodError(parsed.error) });
    const specs = Array.isArray(parsed.data) ? parsed.data : 'faults' in parsed.data ? parsed.data.faults : [parsed.data];
    const faults = specs.map((spec) => core.faults.add(spec));
    core.log.info({ faults }, 'faults armed');
    return { faults };
  });

  app.delete('/sim/faults', async () => {
    const cleared = core.faults.list().length;
    core.faults.clear();
    core.log.info({ cleared }, 'faults cleared');
    return { cleared };
  });

  app.post('/sim/timing', async (request, reply) => {
    const parsed = TimingPatchSchema.safeParse(jsonBody(request));
    if (!parsed.success) return reply.code(400).send({ error: describeZodError(parsed.error) });
    core.timing = { ...core.timing, ...parsed.data };
    return { timing: core.timing };
  });
}
