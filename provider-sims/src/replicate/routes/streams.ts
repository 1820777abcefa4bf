import type { FastifyInstance } from 'fastify';
import { isTerminal } from '../prediction';
import type { ReplicateCore } from '../replicate-core';
import { notFound } from '../replicate-errors';

/**
 * `GET /v1/streams/{id}` (the prediction's `urls.stream`): server-sent events `logs`, `output`,
 * `error` and a final `done`, as Replicate streams a prediction.
 */
export function registerStreamRoutes(app: FastifyInstance, core: ReplicateCore): void {
  app.get('/v1/streams/:id', async (request, reply) => {
    const { id } = request.params as { id: string };
    const record = core.predictions.get(id);
    if (!record) throw notFound();
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    let eventId = 0;
    let sentLogs = 0;
    let sentOutput = false;
    const send = (event: string, data: string) => {
      eventId += 1;
      res.write(`event: ${event}\nid: ${eventId}\n${data.split('\n').map((line) => `data: ${line}`).join('\n')}\n\n`);
    };
    const flush = () => {
      const { logs, output, status, error } = record.prediction;
      if (logs.length > sentLogs) {
        send('logs', logs.slice(sentLogs).replace(/\n$/, ''));
        sentLogs = logs.length;
      }
      if (output !== null && !sentOutput) {
        send('output', typeof output === 'string' ? output : JSON.stringify(output));
        sentOutput = true;
      }
      if (!isTerminal(status)) return;
      if (status === 'failed') send('error', JSON.stringify({ detail: error }));
      send('done', JSON.stringify(status === 'succeeded' ? {} : { reason: status === 'canceled' ? 'canceled' : 'error' }));
      stop();
    };
    const stop = () => {
      record.listeners.delete(flush);
      res.end();
    };
    record.listeners.add(flush);
    request.raw.on('close', () => record.listeners.delete(flush));
    flush();
  });
}
