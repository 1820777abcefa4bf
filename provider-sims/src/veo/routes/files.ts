import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import type { VeoCore } from '../veo-core';
import { notFound } from '../veo-errors';
import { fileIdFromUri } from '../veo-request';

/**
 * `GET /v1beta/files/{id}:download?alt=media`: streams the generated MP4. @google/genai 2.32's
 * `files.download` only strips an `https://` uri down to the id; given the `http://` uri this
 * server hands out it requests `/v1beta/files/<whole uri>:download`, so the id is the last
 * `files/{id}` in the path.
 */
export function registerFileRoutes(app: FastifyInstance, core: VeoCore): void {
  app.get('/v1beta/files/*', async (request, reply) => {
    const target = (request.params as { '*': string })['*'];
    const fileId = target.endsWith(':download') ? fileIdFromUri(`files/${target}`) : undefined;
    const file = fileId === undefined ? undefined : core.files.published(fileId);
    if (!file) throw notFound(`File files/${fileId ?? target} not found.`);
    const path = await core.files.render(file);
    const { size } = await stat(path);
    core.counters.downloads += 1;
    core.details.set(request, { file: file.id, bytes: size });
    return reply.type('video/mp4').header('content-length', size).send(createReadStream(path));
  });
}
