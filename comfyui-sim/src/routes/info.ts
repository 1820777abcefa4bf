import { freemem, totalmem } from 'node:os';
import type { FastifyInstance } from 'fastify';
import type { RouteContext } from './context';

/** What the simulator calls its one device, so nobody mistakes it for a GPU. */
export const SIMULATED_DEVICE_NAME = 'ComfyUI simulator (no GPU)';

/** The ComfyUI release whose protocol the simulator speaks. */
export const SIMULATED_COMFYUI_VERSION = '0.3.64';

const VRAM_TOTAL = 24 * 1024 ** 3;

/** `GET /system_stats`, `/object_info`, `/object_info/{class}`, `/models`, `/models/{folder}`. */
export function registerInfoRoutes(app: FastifyInstance, { core }: RouteContext): void {
  app.get('/system_stats', async () => {
    const loaded = [...core.loadedModels.values()].reduce((sum, model) => sum + model.sizeBytes, 0);
    return {
      system: {
        os: 'posix',
        ram_total: totalmem(),
        ram_free: freemem(),
        comfyui_version: SIMULATED_COMFYUI_VERSION,
        python_version: `none (comfyui-sim on Node ${process.version})`,
        pytorch_version: 'none (comfyui-sim)',
        embedded_python: false,
        argv: ['comfyui-sim', ...process.argv.slice(2)],
      },
      devices: [
        {
          name: SIMULATED_DEVICE_NAME,
          type: 'cpu',
          index: 0,
          vram_total: VRAM_TOTAL,
          vram_free: Math.max(0, VRAM_TOTAL - loaded - 512 * 1024 ** 2),
          torch_vram_total: loaded,
          torch_vram_free: 0,
        },
      ],
    };
  });

  app.get('/object_info', async () => core.catalogue.all());

  app.get<{ Params: { nodeClass: string } }>('/object_info/:nodeClass', async (request) => {
    const definition = core.catalogue.get(request.params.nodeClass);
    return definition ? { [request.params.nodeClass]: definition } : {};
  });

  app.get('/models', async () => Object.keys(core.models));

  app.get<{ Params: { folder: string } }>('/models/:folder', async (request, reply) => {
    const files = core.models[request.params.folder];
    if (!files) return reply.code(404).type('text/plain').send('404: Not Found');
    return files;
  });
}
