import type { FastifyInstance } from 'fastify';
import type { AttemptManager } from '../attempts/attempt-manager';
import { inspectComfy } from '../health';
import type { WorkerServices } from '../services';
import { operatorOnly } from './operator-auth';

/**
 * Liveness (open: it says only up or not), and for operators only (see {@link operatorOnly}) a
 * detailed readiness report and Prometheus metrics.
 */
export function healthRoutes(app: FastifyInstance, services: WorkerServices, manager: AttemptManager): void {
  const { config, metrics, socket } = services;
  const preHandler = operatorOnly(config);

  app.get('/health', async (_request, reply) =>
    reply.code(manager.isDraining ? 503 : 200).send({ status: manager.isDraining ? 'draining' : 'ok' }),
  );

  app.get('/health/detailed', { preHandler }, async (_request, reply) => {
    const comfy = await inspectComfy(services);
    const healthy = comfy.reachable && !manager.isDraining;
    return reply.code(healthy ? 200 : 503).send({
      status: manager.isDraining ? 'draining' : healthy ? 'ok' : 'degraded',
      workerId: config.WORKER_ID,
      capacity: config.MAX_CONCURRENT_JOBS,
      running: manager.load,
      // This machine's wall clock, to compare with Firestore's when leases or heartbeats look wrong.
      clock: new Date().toISOString(),
      comfyui: { url: config.COMFYUI_URL, socketConnected: socket.connected, ...comfy },
    });
  });

  app.get('/metrics', { preHandler }, async (_request, reply) =>
    reply.header('content-type', metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
}
