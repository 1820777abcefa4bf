import type { FastifyInstance } from 'fastify';
import { toTuple } from '../execution/queue';
import { applyFree } from '../sim-core';
import type { RouteContext } from './context';
import { jsonObject, optionalJsonObject } from './json-body';

/** `GET/POST /queue`, `POST /interrupt` and `POST /free`. */
export function registerQueueRoutes(app: FastifyInstance, { core, executor }: RouteContext): void {
  app.get('/queue', async () => {
    const running = core.queue.running;
    return { queue_running: running ? [toTuple(running)] : [], queue_pending: core.queue.pendingItems().map(toTuple) };
  });

  app.post('/queue', async (request, reply) => {
    const body = jsonObject(request);
    if ('clear' in body && body.clear) core.queue.clear();
    if (Array.isArray(body.delete)) core.queue.delete(body.delete);
    return reply.code(200).send();
  });

  app.post('/interrupt', async (request, reply) => {
    const promptId = optionalJsonObject(request).prompt_id;
    if (promptId) {
      if (!executor.interrupt(typeof promptId === 'string' ? promptId : JSON.stringify(promptId))) core.log.info({ promptId }, 'interrupt for a prompt that is not running: ignored');
    } else {
      executor.interrupt();
    }
    return reply.code(200).send();
  });

  app.post('/free', async (request, reply) => {
    const body = jsonObject(request);
    const free = core.pendingFree;
    if (body.unload_models) free.unloadModels = true;
    if (body.free_memory) free.freeMemory = true;
    // ComfyUI acts on these between prompts; with nothing running that is now.
    if (!executor.running) {
      applyFree(core, free);
      free.unloadModels = false;
      free.freeMemory = false;
    }
    return reply.code(200).send();
  });
}
