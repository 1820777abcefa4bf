import type { FastifyInstance } from 'fastify';
import { readJsonBody } from '../../shared/http-server';
import { parseScriptRequest } from '../../shared/script-request';
import type { VeoCore } from '../veo-core';
import { VeoScriptSpecSchema } from '../veo-script';
import { veoState } from '../veo-state';

/** The simulator's own control API under `/sim/` (not part of the Gemini API). */
export function registerVeoSimControlRoutes(app: FastifyInstance, core: VeoCore): void {
  app.get('/sim/state', async () => veoState(core));

  app.get('/sim/script', async () => ({ script: core.script.list() }));

  app.post('/sim/script', async (request, reply) => {
    const body = readJsonBody(request);
    if (!body.ok) return reply.code(400).send({ error: `request body is not JSON: ${body.message}` });
    const parsed = parseScriptRequest(VeoScriptSpecSchema, body.value);
    if (!parsed.ok) return reply.code(400).send({ error: parsed.message });
    const script = parsed.specs.map((spec) => core.script.add(spec));
    core.log.info({ script }, 'Veo simulator: outcomes scripted');
    return { script };
  });

  app.delete('/sim/script', async () => {
    const cleared = core.script.clear();
    core.log.info({ cleared }, 'Veo simulator: script cleared');
    return { cleared };
  });
}
