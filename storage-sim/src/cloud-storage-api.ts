import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CRC32C } from '@google-cloud/storage';
import { fileOf, objectInfo, readMeta, sendMedia, writeMeta, type ObjectInfo, type StoredMeta } from './objects';
import { streamMultipartRelated } from './multipart';
import { UploadRequestError, type UploadMetadata } from './uploads';

type ObjectRequest = FastifyRequest<{ Params: { bucket: string; '*': string }; Querystring: { alt?: string } }>;
type UploadRequest = FastifyRequest<{ Params: { bucket: string }; Querystring: { uploadType?: string; name?: string } }>;

const REASONS: Record<number, string> = { 400: 'invalid', 404: 'notFound' };

/** Cloud Storage's JSON error, which @google-cloud/storage turns into an ApiError with this code and message. */
function sendGcsError(reply: FastifyReply, code: number, message: string): FastifyReply {
  return reply.code(code).send({ error: { code, message, errors: [{ message, domain: 'global', reason: REASONS[code] ?? 'backendError' }] } });
}

/** The object resource as Cloud Storage's JSON API answers it (`file.getMetadata()`, and the answer to an upload). */
function objectResource(request: FastifyRequest, bucket: string, name: string, meta: StoredMeta, info: ObjectInfo): Record<string, unknown> {
  const origin = `${request.protocol}://${request.host}`;
  const path = `b/${encodeURIComponent(bucket)}/o/${encodeURIComponent(name)}`;
  return {
    kind: 'storage#object',
    id: `${bucket}/${name}/${info.generation}`,
    selfLink: `${origin}/storage/v1/${path}`,
    mediaLink: `${origin}/download/storage/v1/${path}?generation=${info.generation}&alt=media`,
    name,
    bucket,
    generation: info.generation,
    metageneration: '1',
    contentType: meta.contentType,
    storageClass: 'STANDARD',
    size: String(meta.sizeBytes),
    md5Hash: info.md5Hash,
    crc32c: info.crc32c,
    etag: info.md5Hash,
    timeCreated: info.timeCreated,
    updated: info.updated,
    timeStorageClassUpdated: info.timeCreated,
    metadata: { ...meta.customMetadata, firebaseStorageDownloadTokens: meta.downloadToken },
  };
}

/**
 * Streams an upload's bytes to a partial file beside the object, hashing them on the way, and makes
 * them the object only once every byte arrived. An upload cut off mid-body (client killed,
 * connection lost) leaves no object and no partial file, as Cloud Storage commits an upload whole
 * or not at all. The sidecar is written last: until then readers find no object.
 */
async function writeObject(file: string, data: AsyncIterable<Buffer>, metadata: UploadMetadata): Promise<StoredMeta> {
  await mkdir(dirname(file), { recursive: true });
  const partial = `${file}.${randomUUID()}.partial`;
  const md5 = createHash('md5');
  const crc = new CRC32C();
  let sizeBytes = 0;
  try {
    await pipeline(
      data,
      async function* hash(chunks: AsyncIterable<Buffer>) {
        for await (const chunk of chunks) {
          md5.update(chunk);
          crc.update(chunk);
          sizeBytes += chunk.length;
          yield chunk;
        }
      },
      createWriteStream(partial),
    );
    await rename(partial, file);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
  // The Admin SDK gives the download token as custom metadata; Firebase keeps it apart from the rest.
  const { firebaseStorageDownloadTokens, ...custom } = metadata.metadata ?? {};
  const meta: StoredMeta = {
    contentType: metadata.contentType ?? 'application/octet-stream',
    downloadToken: firebaseStorageDownloadTokens || randomUUID(),
    sizeBytes,
    md5Hash: md5.digest('base64'),
    crc32c: crc.toString(),
    ...(Object.keys(custom).length > 0 ? { customMetadata: custom } : {}),
  };
  await writeMeta(file, meta);
  return meta;
}

/**
 * The part of Cloud Storage's JSON API that @google-cloud/storage 7 (under firebase-admin/storage)
 * uses against an emulator host (`STORAGE_EMULATOR_HOST`, which it reaches without `/storage/v1`):
 *
 * - `POST /upload/storage/v1/b/{bucket}/o?uploadType=multipart&name=...`: `file.createWriteStream({ resumable: false })`,
 *   a multipart/related body (JSON metadata, then the bytes), streamed to disk. `uploadType=media` takes the bytes alone.
 * - `GET /b/{bucket}/o/{name}`: `file.getMetadata()`; with `?alt=media`, `file.createReadStream()` (a Range too),
 *   with `x-goog-hash` so that the client checks what it read.
 * - `DELETE /b/{bucket}/o/{name}`: `file.delete()`.
 *
 * The same under `/storage/v1` (and downloads under `/download/storage/v1`), as Cloud Storage and the
 * Storage emulator serve them. This is the admin's path: no security rules apply, as in the emulator,
 * and it must never listen beyond the loopback interface. Errors have Cloud Storage's JSON shape.
 */
export async function cloudStorageApi(app: FastifyInstance, options: { root: string }): Promise<void> {
  const { root } = options;

  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
    const code = error instanceof UploadRequestError ? 400 : error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
    // An upload refused part-way leaves the rest of its body unread: the connection cannot carry another request.
    if (request.method === 'POST') reply.header('connection', 'close');
    return sendGcsError(reply, code, error.message);
  });
  // Bodies are left unread for the upload route to stream: no body is parsed, so no body limit applies.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));

  async function getObject(request: ObjectRequest, reply: FastifyReply): Promise<FastifyReply> {
    const { bucket } = request.params;
    const name = request.params['*'];
    const file = fileOf(root, bucket, name);
    if (!file) return sendGcsError(reply, 400, `Invalid object name: "${name}".`);
    const meta = await readMeta(file);
    const media = request.query.alt === 'media';
    if (!meta) {
      const message = `No such object: ${bucket}/${name}`;
      // Cloud Storage answers a missing download in plain text, and everything else in JSON.
      return media ? reply.code(404).type('text/plain; charset=utf-8').send(message) : sendGcsError(reply, 404, message);
    }
    const info = await objectInfo(file, meta);
    if (!media) return reply.send(objectResource(request, bucket, name, meta, info));
    return sendMedia(reply, request.headers.range, file, meta, {
      'x-goog-hash': `crc32c=${info.crc32c},md5=${info.md5Hash}`,
      'x-goog-stored-content-encoding': 'identity',
      'x-goog-stored-content-length': String(meta.sizeBytes),
      'x-goog-generation': info.generation,
      'x-goog-metageneration': '1',
    });
  }

  async function deleteObject(request: ObjectRequest, reply: FastifyReply): Promise<FastifyReply> {
    const { bucket } = request.params;
    const name = request.params['*'];
    const file = fileOf(root, bucket, name);
    if (!file) return sendGcsError(reply, 400, `Invalid object name: "${name}".`);
    if (!(await readMeta(file))) return sendGcsError(reply, 404, `No such object: ${bucket}/${name}`);
    // The sidecar first: from then on readers find no object.
    await rm(`${file}.meta.json`, { force: true });
    await rm(file, { force: true });
    return reply.code(204).send();
  }

  async function upload(request: UploadRequest, reply: FastifyReply): Promise<FastifyReply> {
    const { bucket } = request.params;
    const uploadType = request.query.uploadType ?? request.headers['x-goog-upload-protocol'];
    const contentType = request.headers['content-type'];
    let metadata: UploadMetadata;
    let data: AsyncIterable<Buffer>;
    if (uploadType === 'multipart') {
      const parts = await streamMultipartRelated(contentType ?? '', request.raw);
      metadata = { ...parts.metadata, contentType: parts.metadata.contentType ?? parts.dataContentType ?? undefined };
      data = parts.data;
    } else if (uploadType === 'media') {
      metadata = { contentType };
      data = request.raw;
    } else {
      return sendGcsError(reply, 400, `Unsupported uploadType "${String(uploadType)}": this store takes multipart and media uploads (resumable: false).`);
    }
    const name = request.query.name ?? metadata.name ?? '';
    const file = fileOf(root, bucket, name);
    if (!file) {
      // As above: the body is left unread.
      reply.header('connection', 'close');
      return sendGcsError(reply, 400, name ? `Invalid object name: "${name}".` : 'Required: the object name (name=...).');
    }
    const meta = await writeObject(file, data, metadata);
    return reply.send(objectResource(request, bucket, name, meta, await objectInfo(file, meta)));
  }

  for (const prefix of ['', '/storage/v1']) {
    app.get(`${prefix}/b/:bucket/o/*`, getObject);
    app.delete(`${prefix}/b/:bucket/o/*`, deleteObject);
  }
  app.get('/download/storage/v1/b/:bucket/o/*', getObject);
  app.post('/upload/storage/v1/b/:bucket/o', upload);
}
