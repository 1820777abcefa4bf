import { createReadStream } from 'node:fs';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requestBaseUrl } from '../../shared/http-server';
import type { ReplicateCore } from '../replicate-core';
import { notFound, validationFailed } from '../replicate-errors';

/** The multipart body the replicate client's `files.create` sends: `content` (the file) and `metadata` (JSON). */
async function readUpload(request: FastifyRequest): Promise<{ name: string; contentType: string; bytes: Buffer; metadata: Record<string, unknown> }> {
  const type = request.headers['content-type'] ?? '';
  if (!type.startsWith('multipart/form-data') || !Buffer.isBuffer(request.body)) {
    throw validationFailed([{ code: 'invalid_type', path: ['content'], message: 'must be sent as multipart/form-data' }], '');
  }
  const form = await new Request('http://upload.invalid/', { method: 'POST', headers: { 'content-type': type }, body: new Uint8Array(request.body) }).formData().catch(() => null);
  const content = form?.get('content');
  if (!form || !(content instanceof Blob)) throw validationFailed([{ code: 'invalid_type', path: ['content'], message: 'Field required' }], '');
  const rawMetadata = form.get('metadata');
  const metadataText = rawMetadata instanceof Blob ? await rawMetadata.text() : (rawMetadata ?? '{}');
  let metadata: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(metadataText || '{}');
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) metadata = parsed as Record<string, unknown>;
  } catch {
    throw validationFailed([{ code: 'invalid_type', path: ['metadata'], message: 'must be a JSON object' }], '');
  }
  const name = content instanceof File && content.name ? content.name : 'file';
  return { name, contentType: content.type || 'application/octet-stream', bytes: Buffer.from(await content.arrayBuffer()), metadata };
}

/**
 * Replicate's files API under `/v1` (token required): `POST /v1/files` (multipart, 201 with the file
 * object), `GET /v1/files`, `GET /v1/files/{id}`, `GET /v1/files/{id}/download`, `DELETE /v1/files/{id}`
 * (204). Paths and shapes from Replicate's HTTP API reference ("Files") and the replicate client
 * 1.4.0 (`lib/files.js`).
 */
export function registerUploadRoutes(app: FastifyInstance, core: ReplicateCore): void {
  app.post('/v1/files', async (request, reply) => {
    const upload = await readUpload(request);
    const object = await core.files.add(`${requestBaseUrl(request)}/v1`, upload);
    core.counters.filesCreated += 1;
    core.log.info({ fileId: object.id, size: object.size, contentType: object.content_type }, 'Replicate simulator: file uploaded');
    return reply.code(201).send(object);
  });
  app.get('/v1/files', async () => ({ previous: null, next: null, results: core.files.list() }));
  app.get('/v1/files/:id', async (request) => {
    const file = core.files.get((request.params as { id: string }).id);
    if (!file) throw notFound();
    return file.object;
  });
  app.get('/v1/files/:id/download', async (request, reply) => {
    const file = core.files.get((request.params as { id: string }).id);
    if (!file) throw notFound();
    return reply.type(file.object.content_type).header('content-length', file.object.size).send(createReadStream(file.path));
  });
  app.delete('/v1/files/:id', async (request, reply) => {
    if (!(await core.files.remove((request.params as { id: string }).id))) throw notFound();
    return reply.code(204).send();
  });
}
