import { Readable } from 'node:stream';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { LocalObjectStore, objectFile } from './local-object-store';
import { cloudStorageApi } from './cloud-storage-api';
import { fileOf, hasDownloadToken, objectInfo, readMeta, sendMedia, writeMeta, type StoredMeta } from './objects';
import { isAdminRequest, MAX_UPLOAD_BYTES, mayRead, mayWrite, uidFromAuthorization } from './rules';
import { parseMultipartRelated, parseUploadMetadata, ResumableUploads, UploadRequestError, type ResumableUpload } from './uploads';

/** The largest request body the Firebase API takes in (a multipart upload or one resumable chunk); the rules refuse far less. */
const BODY_LIMIT_BYTES = 64 * 1024 * 1024;

/** The Storage emulator's answers, word for word, so that clients see the same errors locally. */
const DENIED_READ = 'Permission denied. No READ permission.';
const DENIED_WRITE = 'Permission denied. No WRITE permission.';

/** Response headers a browser client must be able to read (the resumable upload protocol lives in headers). */
const EXPOSED_HEADERS = [
  'content-type', 'content-length', 'content-range', 'x-goog-upload-url', 'x-goog-upload-status', 'x-goog-upload-size-received',
  'x-goog-upload-chunk-granularity', 'x-gupload-uploadid',
].join(', ');

type ObjectRequest = FastifyRequest<{ Params: { bucket: string; '*': string }; Querystring: { token?: string; alt?: string } }>;
type UploadRequest = FastifyRequest<{ Params: { bucket: string }; Querystring: { name?: string; upload_id?: string } }>;

function sendError(reply: FastifyReply, code: number, message: string): FastifyReply {
  return reply.code(code).send({ error: { code, message } });
}

/** The object resource the Firebase Storage API (and its emulator) answers with: what `getMetadata` and `getDownloadURL` read. */
async function objectResource(bucket: string, name: string, file: string, meta: StoredMeta): Promise<Record<string, unknown>> {
  const info = await objectInfo(file, meta);
  return {
    name,
    bucket,
    generation: info.generation,
    metageneration: '1',
    contentType: meta.contentType,
    timeCreated: info.timeCreated,
    updated: info.updated,
    storageClass: 'STANDARD',
    size: String(meta.sizeBytes),
    md5Hash: info.md5Hash,
    etag: info.md5Hash,
    downloadTokens: meta.downloadToken,
    contentEncoding: 'identity',
    contentDisposition: 'inline',
    ...(meta.customMetadata ? { metadata: meta.customMetadata } : {}),
  };
}

/**
 * Serves the local store as the Firebase Storage REST API that the web SDK (`firebase/storage`,
 * pointed here with `connectStorageEmulator`) speaks, with storage.rules' semantics:
 *
 * - `GET /v0/b/{bucket}/o/{name}?alt=media&token=...`: download URLs. A right token reads the object
 *   whoever asks; without one the owner reads `uploads/{uid}/...` and `videos/{uid}/...`.
 * - `GET /v0/b/{bucket}/o/{name}`: the object resource (`getMetadata`; `downloadTokens` for `getDownloadURL`).
 * - `POST /v0/b/{bucket}/o?name=...` with `X-Goog-Upload-Protocol: multipart` (`uploadBytes`), or the
 *   resumable protocol (`uploadBytesResumable` above 256 KiB): `X-Goog-Upload-Command: start`, then
 *   `upload` / `upload, finalize` / `finalize` / `query` / `cancel` at the returned `X-Goog-Upload-URL`.
 *   Only the signed-in owner creates objects, under `uploads/{uid}/`, images under 10 MiB.
 *
 * Server code (firebase-admin) passes the rules, as on Firebase Storage: see {@link isAdminRequest}.
 * Uploads are written through {@link LocalObjectStore}, so the worker and the functions read them as
 * any other object. Errors have the Storage emulator's shape: `{"error":{"code":403,"message":"Permission denied. ..."}}`.
 *
 * Beside it, on the same port as in the Storage emulator, the Cloud Storage JSON API that
 * firebase-admin/storage uses ({@link cloudStorageApi}): the admin's path, with no rules at all.
 * Hence the server listens on the loopback interface only.
 */
export async function startLocalStoreServer(options: { root: string; host: string; port: number }): Promise<FastifyInstance> {
  const { root } = options;
  if (!['127.0.0.1', '::1', 'localhost'].includes(options.host)) {
    throw new Error(`The local store serves an unauthenticated admin API: it listens on 127.0.0.1, ::1 or localhost only, not ${options.host}`);
  }
  const app = Fastify({ logger: false });
  const resumable = new ResumableUploads();

  app.setErrorHandler((error: Error & { statusCode?: number }, _request, reply) => {
    const code = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
    return sendError(reply, code, error.message);
  });
  app.setNotFoundHandler((_request, reply) => sendError(reply, 404, 'Not Found.'));
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('access-control-allow-origin', '*').header('access-control-expose-headers', EXPOSED_HEADERS);
    return payload;
  });
  app.options('/*', async (request, reply) =>
    reply
      .code(204)
      .header('access-control-allow-methods', 'GET, POST, OPTIONS')
      .header('access-control-allow-headers', request.headers['access-control-request-headers'] ?? '*')
      .header('access-control-max-age', '3600')
      .send(),
  );

  app.get('/health', async () => ({ status: 'ok' }));

  app.get('/v0/b/:bucket/o/*', async (request: ObjectRequest, reply) => {
    // Fastify has already percent-decoded the route parameters.
    const { bucket } = request.params;
    const name = request.params['*'];
    const file = fileOf(root, bucket, name);
    if (!file) return sendError(reply, 400, 'Invalid object path.');
    const meta = await readMeta(file);
    const { token } = request.query;
    const byToken = meta !== null && hasDownloadToken(meta, token);
    if (!byToken && !isAdminRequest(request.headers) && !mayRead(name, uidFromAuthorization(request.headers.authorization))) {
      // A download URL whose object is gone stays a 404, as it always was here; otherwise, as in the
      // emulator, a caller the rules refuse learns nothing, not even whether the object exists.
      if (meta === null && token !== undefined) return sendError(reply, 404, 'Not Found.');
      return sendError(reply, 403, DENIED_READ);
    }
    if (!meta) return sendError(reply, 404, 'Not Found.');
    if (request.query.alt === 'media') return sendMedia(reply, request.headers.range, file, meta);
    return reply.send(await objectResource(bucket, name, file, meta));
  });

  /** Writes an accepted upload through LocalObjectStore and answers with its resource. */
  async function storeUpload(request: FastifyRequest, bucket: string, name: string, data: Buffer, contentType: string, customMetadata: Record<string, string> | null): Promise<Record<string, unknown>> {
    const file = objectFile(root, bucket, name);
    await new LocalObjectStore(root, bucket, `${request.protocol}://${request.host}`).put(name, Readable.from([data]), { contentType });
    if (customMetadata && Object.keys(customMetadata).length > 0) {
      await writeMeta(file, { ...((await readMeta(file)) as StoredMeta), customMetadata });
    }
    const meta = await readMeta(file);
    if (!meta) throw new Error(`The upload of ${name} was not stored`);
    return objectResource(bucket, name, file, meta);
  }

  async function multipartUpload(request: UploadRequest, reply: FastifyReply, name: string): Promise<FastifyReply> {
    const { bucket } = request.params;
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const { metadata, data, dataContentType } = parseMultipartRelated(request.headers['content-type'] ?? '', body);
    const contentType = metadata.contentType ?? dataContentType ?? 'application/octet-stream';
    const uid = uidFromAuthorization(request.headers.authorization);
    if (!mayWrite(name, uid, { size: data.length, contentType })) return sendError(reply, 403, DENIED_WRITE);
    return reply.send(await storeUpload(request, bucket, name, data, contentType, metadata.metadata ?? null));
  }

  function startResumable(request: UploadRequest, reply: FastifyReply, name: string): FastifyReply {
    const body = Buffer.isBuffer(request.body) ? request.body.toString('utf8') : '';
    const metadata = parseUploadMetadata(body);
    const contentType = metadata.contentType ?? String(request.headers['x-goog-upload-header-content-type'] ?? 'application/octet-stream');
    const declaredSize = Number(request.headers['x-goog-upload-header-content-length'] ?? 0);
    const uid = uidFromAuthorization(request.headers.authorization);
    // Refused at once when the declared upload could never pass; checked again on the bytes at finalize.
    if (!mayWrite(name, uid, { size: Number.isFinite(declaredSize) ? declaredSize : 0, contentType })) return sendError(reply, 403, DENIED_WRITE);
    const upload = resumable.start({ bucket: request.params.bucket, name, contentType, customMetadata: metadata.metadata ?? null, uid });
    const url = new URL(`/v0/b/${encodeURIComponent(upload.bucket)}/o`, `${request.protocol}://${request.host}`);
    url.searchParams.set('name', name);
    url.searchParams.set('upload_id', upload.id);
    url.searchParams.set('upload_protocol', 'resumable');
    return reply
      .header('x-goog-upload-status', 'active')
      .header('x-goog-upload-url', url.toString())
      .header('x-goog-upload-chunk-granularity', String(256 * 1024))
      .header('x-gupload-uploadid', upload.id)
      .send();
  }

  async function finalizeResumable(request: UploadRequest, reply: FastifyReply, upload: ResumableUpload): Promise<FastifyReply> {
    reply.header('x-goog-upload-status', 'final');
    if (!mayWrite(upload.name, upload.uid, { size: upload.data.length, contentType: upload.contentType })) {
      const body = { error: { code: 403, message: DENIED_WRITE } };
      resumable.finish(upload, 403, body);
      return reply.code(403).send(body);
    }
    const resource = await storeUpload(request, upload.bucket, upload.name, upload.data, upload.contentType, upload.customMetadata);
    resumable.finish(upload, 200, resource);
    return reply.send(resource);
  }

  async function continueResumable(request: UploadRequest, reply: FastifyReply, command: string): Promise<FastifyReply> {
    const upload = request.query.upload_id ? resumable.get(request.query.upload_id) : undefined;
    if (!upload || upload.bucket !== request.params.bucket) return sendError(reply, 404, 'No such upload.');
    if (command === 'query') {
      return reply.header('x-goog-upload-size-received', String(upload.received)).header('x-goog-upload-status', upload.status).send();
    }
    if (upload.status === 'final' && upload.finalResponse && command.includes('finalize')) {
      return reply.code(upload.finalResponse.statusCode).header('x-goog-upload-status', 'final').send(upload.finalResponse.body);
    }
    if (upload.status !== 'active') return sendError(reply, 400, `The upload is ${upload.status}.`);
    if (command === 'cancel') {
      resumable.cancel(upload);
      return reply.send();
    }
    const commands = command.split(',').map((part) => part.trim());
    if (commands.includes('upload')) {
      const chunk = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      resumable.append(upload, Number(request.headers['x-goog-upload-offset'] ?? upload.received), chunk);
      if (upload.received >= MAX_UPLOAD_BYTES) return finalizeResumable(request, reply, upload);
    }
    if (commands.includes('finalize')) return finalizeResumable(request, reply, upload);
    if (!commands.includes('upload')) return sendError(reply, 400, `Unknown X-Goog-Upload-Command: ${command}`);
    return reply.header('x-goog-upload-status', 'active').send();
  }

  // Uploads take any body as raw bytes, in a scope of their own so that no other route does.
  await app.register(async (uploads) => {
    uploads.removeAllContentTypeParsers();
    uploads.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: BODY_LIMIT_BYTES }, (_request, body, done) => done(null, body));
    uploads.post('/v0/b/:bucket/o', async (request: UploadRequest, reply) => {
      try {
        const command = request.headers['x-goog-upload-command'];
        const protocol = request.headers['x-goog-upload-protocol'];
        if (typeof command === 'string' && command !== 'start') return await continueResumable(request, reply, command);
        const name = request.query.name ?? '';
        if (!fileOf(root, request.params.bucket, name)) return await sendError(reply, 400, `Invalid object name: "${name}".`);
        if (command === 'start') return await startResumable(request, reply, name);
        if (protocol === 'multipart') return await multipartUpload(request, reply, name);
        return await sendError(reply, 400, 'Unsupported upload: send X-Goog-Upload-Protocol: multipart, or the resumable protocol.');
      } catch (error) {
        if (error instanceof UploadRequestError) return sendError(reply, 400, error.message);
        throw error;
      }
    });
  });

  await app.register(cloudStorageApi, { root });

  await app.listen({ host: options.host, port: options.port });
  return app;
}
