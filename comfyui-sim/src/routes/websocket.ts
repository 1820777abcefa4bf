import { randomUUID } from 'node:crypto';
import type {} from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';
import type { RouteContext } from './context';

/** Answer to a client's `feature_flags` first message. */
const SERVER_FEATURES = { supports_preview_metadata: true, max_upload_size: 100 * 1024 * 1024 };

/** `GET /ws?clientId=ID`: the event socket. */
export function registerWebSocketRoute(app: FastifyInstance, { core, executor }: RouteContext): void {
  app.get('/ws', { websocket: true }, (socket, request) => {
    const query = request.query as Record<string, unknown>;
    const clientId = typeof query.clientId === 'string' && query.clientId ? query.clientId : randomUUID().replace(/-/g, '');
    core.hub.attach(clientId, socket);
    socket.send(JSON.stringify({ type: 'status', data: { status: core.queue.status(), sid: clientId } }));
    const run = executor.running;
    if (run && run.clientId === clientId && run.currentNode !== undefined) {
      socket.send(JSON.stringify({ type: 'executing', data: { node: run.currentNode } }));
    }
    let first = true;
    socket.on('message', (data, isBinary) => {
      if (isBinary) return;
      try {
        const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
        const message = JSON.parse(bytes.toString()) as { type?: unknown };
        if (first && message.type === 'feature_flags') socket.send(JSON.stringify({ type: 'feature_flags', data: SERVER_FEATURES }));
      } catch {
        core.log.debug({ clientId }, 'ignored a non-JSON socket message');
      }
      first = false;
    });
  });
}
