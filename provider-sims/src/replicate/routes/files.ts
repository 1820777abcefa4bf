import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import type { ReplicateCore } from '../replicate-core';
import { notFound } from '../replicate-errors';

/** `GET /files/{id}.mp4`: a succeeded prediction's video (no token needed, like replicate.delivery). */
export function registerFileRoutes(app: FastifyInstance, core: ReplicateCore): void {
  app.get('/files/:name', async (request, reply) => {
    const { name } = request.params as { name: string };
    const match = /^([a-z2-7]+)\.mp4$/.exec(name);
    const record = match ? core.predictions.get(match[1]!) : undefined;
    if (!record?.filePath || record.prediction.status !== 'succeeded') throw notFound();
    const { size } = await stat(record.filePath);
    core.counters.downloads += 1;
    return reply.type('video/mp4').header('content-length', size).send(createReadStream(record.filePath));
  });
}
