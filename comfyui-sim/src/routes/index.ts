import type { FastifyInstance } from 'fastify';
import type { RouteContext } from './context';
import { registerFileRoutes } from './files';
import { registerHistoryRoutes } from './history';
import { registerInfoRoutes } from './info';
import { registerPromptRoutes } from './prompt';
import { registerQueueRoutes } from './queue';
import { registerWebSocketRoute } from './websocket';

/** ComfyUI's routes; the server mounts them at `/` and again under `/api`. */
export async function comfyRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  registerPromptRoutes(app, ctx);
  registerHistoryRoutes(app, ctx);
  registerQueueRoutes(app, ctx);
  registerFileRoutes(app, ctx);
  registerInfoRoutes(app, ctx);
  registerWebSocketRoute(app, ctx);
}
