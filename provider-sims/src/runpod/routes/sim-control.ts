import type { FastifyInstance } from 'fastify';
import { readJsonBody } from '../../shared/http-server';
import { parseScriptRequest } from '../../shared/script-request';
import type { RunpodCore } from '../runpod-core';
import { RunpodScriptSpecSchema } from '../runpod-script';
import { runpodState } from '../runpod-state';

/** The simulator's own control API under `/sim/` (not part of RunPod's API). */
export function registerRunpodSimControlRoutes(app: FastifyInstance, core: RunpodCore): void {
  app.get('/sim/state', async () => runpodState(core));

  app.get('/sim/script', async () => ({ script: core.script.list() }));

  app.post('/sim/script', async (request, reply) => {
    const body = readJsonBody(request);
    if (!body.ok) return reply.code(400).send({ error: `request body is not JSON: ${body.message}` });
    const parsed = parseScriptRequest(RunpodScriptSpecSchema, body.value);
    if (!parsed.ok) return reply.code(400).send({ error: parsed.message });
    const script = parsed.specs.map((spec) => core.script.add(spec));
    core.log.info({ script }, 'RunPod simulator: outcomes scripted');
    return { script };
  });

  app.delete('/sim/script', async () => {
    const cleared = core.script.clear();
    core.log.info({ cleared }, 'RunPod simulator: script cleared');
    return { cleared };
  });
}
