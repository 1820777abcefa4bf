import type { FastifyInstance } from 'fastify';
import { readJsonBody } from '../../shared/http-server';
import { parseScriptRequest } from '../../shared/script-request';
import type { ReplicateCore } from '../replicate-core';
import { ReplicateScriptSpecSchema } from '../replicate-script';
import { replicateState } from '../replicate-state';

/** The simulator's own control API under `/sim/` (not part of Replicate's API). */
export function registerReplicateSimControlRoutes(app: FastifyInstance, core: ReplicateCore): void {
  app.get('/sim/state', async () => replicateState(core));

  app.get('/sim/script', async () => ({ script: core.script.list() }));

  app.post('/sim/script', async (request, reply) => {
    const body = readJsonBody(request);
    if (!body.ok) return reply.code(400).send({ error: `request body is not JSON: ${body.message}` });
    const parsed = parseScriptRequest(ReplicateScriptSpecSchema, body.value);
    if (!parsed.ok) return reply.code(400).send({ error: parsed.message });
    const script = parsed.specs.map((spec) => core.script.add(spec));
    core.log.info({ script }, 'Replicate simulator: outcomes scripted');
    return { script };
  });

  app.delete('/sim/script', async () => {
    const cleared = core.script.clear();
    core.log.info({ cleared }, 'Replicate simulator: script cleared');
    return { cleared };
  });
}
