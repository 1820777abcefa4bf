import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { AttemptManager } from './attempts/attempt-manager';
import { attemptRoutes } from './routes/attempts';
import { healthRoutes } from './routes/health';
import type { WorkerServices } from './services';

/** The worker's HTTP surface: attempt intake, health, metrics. */
export function buildServer(services: WorkerServices, manager: AttemptManager): FastifyInstance {
  const logger: FastifyBaseLogger = services.log.child({ component: 'http' });
  const app = Fastify({ loggerInstance: logger, disableRequestLogging: true, bodyLimit: 64 * 1024 });
  attemptRoutes(app, services, manager);
  healthRoutes(app, services, manager);
  return app;
}
