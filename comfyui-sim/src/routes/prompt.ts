import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { annotatedFileExists } from '../outputs/data-dirs';
import { pyBool, pyFloat, pyStr } from '../validation/py-values';
import type { Graph } from '../validation/types';
import { validatePrompt } from '../validation/validate-prompt';
import type { RouteContext } from './context';
import { MalformedBodyError, isPlainObject, jsonObject } from './json-body';

/** `POST /prompt` (validate and queue) and `GET /prompt` (queue size). */
export function registerPromptRoutes(app: FastifyInstance, { core }: RouteContext): void {
  app.get('/prompt', async () => core.queue.status());

  app.post('/prompt', async (request, reply) => {
    const body = jsonObject(request);
    const number = 'number' in body ? pyFloat(body.number) : core.queue.allocateNumber(pyBool(body.front));
    if (!('prompt' in body)) {
      core.counters.promptsRejected += 1;
      const error = { type: 'no_prompt', message: 'No prompt provided', details: 'No prompt provided', extra_info: {} };
      return reply.code(400).send({ error, node_errors: {} });
    }
    if (!isPlainObject(body.prompt)) throw new MalformedBodyError('prompt is not a JSON object');
    const promptId = 'prompt_id' in body ? pyStr(body.prompt_id) : randomUUID();
    const prompt = structuredClone(body.prompt);
    const targets = Array.isArray(body.partial_execution_targets) ? body.partial_execution_targets.map(String) : undefined;
    const validation = validatePrompt(prompt, {
      catalogue: core.catalogue,
      inputFileExists: (name) => annotatedFileExists(core.dirs, name),
      partialExecutionTargets: targets,
    });
    const extraData: Record<string, unknown> = isPlainObject(body.extra_data) ? { ...body.extra_data } : {};
    if ('client_id' in body) extraData.client_id = body.client_id;

    if (!validation.ok) {
      core.counters.promptsRejected += 1;
      core.log.warn({ promptId, error: validation.error, nodeErrors: Object.keys(validation.nodeErrors) }, 'invalid prompt');
      return reply.code(400).send({ error: validation.error, node_errors: validation.nodeErrors });
    }
    core.counters.promptsAccepted += 1;
    core.queue.put({ number, promptId, prompt: prompt as Graph, extraData, outputs: validation.outputs });
    return { prompt_id: promptId, number, node_errors: validation.nodeErrors };
  });
}
