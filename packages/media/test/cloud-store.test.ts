import { createHash, randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { deleteApp, initializeApp, type App } from 'firebase-admin/app';
import { getStorage } from 'firebase-admin/storage';
import { CloudObjectStore, readSmallObject } from '@vidgen/media';
import { LocalObjectStore, objectFile, startLocalStoreServer } from '../../../storage-sim/src/simulator';
import { tempDir } from './support/media';

const PROJECT = 'demo-media-cloud';
const BUCKET = `${PROJECT}.appspot.com`;

/** Bytes of any size, different for each seed. */
function pattern(size: number, seed = 1): Buffer {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i += 1) bytes[i] = (i * 31 + seed * 7) % 251;
  return bytes;
}

/** A stream of `bytes` in chunks of `chunkSize`, as a file read would give them. */
function chunked(bytes: Buffer, chunkSize = 64 * 1024): Readable {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; offset += chunkSize) chunks.push(bytes.subarray(offset, offset + chunkSize));
  return Readable.from(chunks);
}

async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function until(condition: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('CloudObjectStore (firebase-admin/storage) against the local store server', () => {
  let cleanup: () => Promise<void>;
  let root: string;
  let server: FastifyInstance;
  let origin: string;
  let app: App;
  let store: CloudObjectStore;

  beforeAll(async () => {
    let dir: string;
    ({ dir, cleanup } = await tempDir('cloud-store'));
    root = join(dir, 'root');
    server = await startLocalStoreServer({ root, host: '127.0.0.1', port: 0 });
    const { port } = server.server.address() as AddressInfo;
    origin = `http://127.0.0.1:${port}`;
    // Read when firebase-admin and @google-cloud/storage build their clients: set before the first getStorage().
    delete process.env.STORAGE_EMULATOR_HOST;
    process.env.FIREBASE_STORAGE_EMULATOR_HOST = `127.0.0.1:${port}`;
    process.env.METADATA_SERVER_DETECTION = 'none';
    app = initializeApp({ projectId: PROJECT, storageBucket: BUCKET }, `cloud-store-${randomUUID()}`);
    store = new CloudObjectStore(app);
  });
  afterAll(async () => {
    await deleteApp(app);
    await server.close();
    await cleanup();
  });

  const file = (path: string) => getStorage(app).bucket().file(path);

  it('puts a streamed video and reads it back: bytes, content type, size', async () => {
    const bytes = pattern(3 * 1024 * 1024 + 17);
    const path = `videos/u1/${randomUUID()}/attempt-0.mp4`;
    const put = await store.put(path, chunked(bytes), { contentType: 'video/mp4' });
    expect(put.sizeBytes).toBe(bytes.length);

    const read = await store.read(path);
    expect(read.contentType).toBe('video/mp4');
    expect(read.sizeBytes).toBe(bytes.length);
    expect((await readAll(read.body)).equals(bytes)).toBe(true);

    // On disk through the store's own layout, with no partial file left beside it.
    const onDisk = objectFile(root, BUCKET, path);
    expect((await readdir(dirname(onDisk))).sort()).toEqual(['attempt-0.mp4', 'attempt-0.mp4.meta.json']);
  });

  it("answers getMetadata with Cloud Storage's object resource", async () => {
    const bytes = pattern(1000, 2);
    const path = `videos/u1/${randomUUID()}/poster.jpg`;
    await store.put(path, chunked(bytes), { contentType: 'image/jpeg' });
    const [metadata] = await file(path).getMetadata();
    expect(metadata).toMatchObject({
      kind: 'storage#object',
      name: path,
      bucket: BUCKET,
      size: '1000',
      contentType: 'image/jpeg',
      md5Hash: createHash('md5').update(bytes).digest('base64'),
      metadata: { firebaseStorageDownloadTokens: expect.stringMatching(/^[0-9a-f-]{36}$/) },
    });
    expect(metadata.id).toBe(`${BUCKET}/${path}/${metadata.generation}`);
    expect(metadata.generation).toMatch(/^\d+$/);
    expect(metadata.crc32c).toMatch(/^[A-Za-z0-9+/]{6}==$/);
    expect(Date.parse(String(metadata.timeCreated))).toBeGreaterThan(Date.now() - 60_000);
    expect(Date.parse(String(metadata.updated))).toBeGreaterThan(Date.now() - 60_000);
  });

  it("returns a download URL on this server that carries the object's token and serves the same bytes", async () => {
    const bytes = pattern(200_000, 3);
    const path = `videos/u2/${randomUUID()}/attempt-1.mp4`;
    const { downloadUrl } = await store.put(path, chunked(bytes), { contentType: 'video/mp4' });
    const url = new URL(downloadUrl);
    expect(url.origin).toBe(origin);
    expect(url.pathname).toBe(`/v0/b/${BUCKET}/o/${encodeURIComponent(path)}`);
    expect(url.searchParams.get('alt')).toBe('media');
    const [metadata] = await file(path).getMetadata();
    expect(url.searchParams.get('token')).toBe(metadata.metadata?.firebaseStorageDownloadTokens);

    const response = await fetch(downloadUrl);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('video/mp4');
    expect(Buffer.from(await response.arrayBuffer()).equals(bytes)).toBe(true);

    // The video's folder belongs to another user: without the token, the rules refuse.
    url.searchParams.set('token', randomUUID());
    expect((await fetch(url)).status).toBe(403);
    url.searchParams.delete('token');
    expect((await fetch(url)).status).toBe(403);
  });

  it('reads a reference image stored by the Firebase API side (hashes computed on read), and a byte range', async () => {
    const bytes = pattern(5000, 4);
    const path = `uploads/u3/${randomUUID()}.png`;
    // What the Firebase API writes for the web SDK's uploadBytes: the store's files, without hashes.
    await new LocalObjectStore(root, BUCKET, origin).put(path, chunked(bytes), { contentType: 'image/png' });
    const small = await readSmallObject(store, path, 10 * 1024 * 1024);
    expect(small.contentType).toBe('image/png');
    expect(small.bytes.equals(bytes)).toBe(true);
    const range = await readAll(file(path).createReadStream({ start: 10, end: 19 }));
    expect(range.equals(bytes.subarray(10, 20))).toBe(true);
  });

  it('takes an upload of the bytes alone (uploadType=media&name=...)', async () => {
    const bytes = pattern(70_000, 8);
    const path = `videos/u3/${randomUUID()}.mp4`;
    const response = await fetch(`${origin}/upload/storage/v1/b/${BUCKET}/o?uploadType=media&name=${encodeURIComponent(path)}`, {
      method: 'POST',
      headers: { 'content-type': 'video/mp4' },
      body: bytes,
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ kind: 'storage#object', name: path, size: '70000', contentType: 'video/mp4' });
    const read = await store.read(path);
    expect(read.contentType).toBe('video/mp4');
    expect((await readAll(read.body)).equals(bytes)).toBe(true);
  });

  it('rejects reading a missing object, with a 404', async () => {
    await expect(store.read(`videos/nobody/${randomUUID()}.mp4`)).rejects.toMatchObject({ code: 404 });
  });

  it("answers a missing object and a delete in Cloud Storage's JSON shapes", async () => {
    const path = `videos/u4/${randomUUID()}.mp4`;
    await store.put(path, chunked(pattern(10)), { contentType: 'video/mp4' });
    await file(path).delete();
    const response = await fetch(`${origin}/storage/v1/b/${BUCKET}/o/${encodeURIComponent(path)}`);
    expect(response.status).toBe(404);
    const message = `No such object: ${BUCKET}/${path}`;
    expect(await response.json()).toEqual({ error: { code: 404, message, errors: [{ message, domain: 'global', reason: 'notFound' }] } });
    await expect(file(path).delete()).rejects.toMatchObject({ code: 404 });
    const media = await fetch(`${origin}/b/${BUCKET}/o/${encodeURIComponent(path)}?alt=media`);
    expect(media.status).toBe(404);
    expect(await media.text()).toBe(message);
  });

  it('ends the data part at the closing delimiter at the end of the body, not at a boundary inside the bytes', async () => {
    const path = `videos/u5/${randomUUID()}.bin`;
    const data = Buffer.concat([pattern(100_000, 5), Buffer.from('\r\n--b\r\nContent-Type: x\r\n\r\n\r\n--b--'), pattern(5000, 6)]);
    const body = Buffer.concat([
      Buffer.from(`--b\r\nContent-Type: application/json\r\n\r\n${JSON.stringify({ name: path, contentType: 'application/octet-stream', metadata: { purpose: 'test' } })}\r\n--b\r\nContent-Type: application/octet-stream\r\n\r\n`),
      data,
      Buffer.from('\r\n--b--\r\n'),
    ]);
    const response = await fetch(`${origin}/upload/storage/v1/b/${BUCKET}/o?uploadType=multipart`, {
      method: 'POST',
      headers: { 'content-type': 'multipart/related; boundary=b' },
      body,
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ name: path, size: String(data.length), metadata: { purpose: 'test', firebaseStorageDownloadTokens: expect.any(String) } });
    expect((await readAll((await store.read(path)).body)).equals(data)).toBe(true);
  });

  it('refuses an upload it cannot hold as named, or of an unsupported type', async () => {
    const post = (query: string) => fetch(`${origin}/upload/storage/v1/b/${BUCKET}/o?${query}`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: 'x' });
    for (const name of ['videos/../x.mp4', 'videos//x.mp4', 'videos/x.mp4.meta.json']) {
      const response = await post(`uploadType=media&name=${encodeURIComponent(name)}`);
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: { code: 400, errors: [{ reason: 'invalid' }] } });
    }
    expect((await post('uploadType=media')).status).toBe(400);
    expect((await post(`uploadType=resumable&name=x.png`)).status).toBe(400);

    // A name given in the metadata part only, refused with most of the body unread: the next upload still works.
    const refused = await fetch(`${origin}/upload/storage/v1/b/${BUCKET}/o?uploadType=multipart`, {
      method: 'POST',
      headers: { 'content-type': 'multipart/related; boundary=b' },
      body: Buffer.concat([Buffer.from(`--b\r\nContent-Type: application/json\r\n\r\n{"name":"videos/../x.mp4"}\r\n--b\r\nContent-Type: video/mp4\r\n\r\n`), pattern(4 * 1024 * 1024), Buffer.from('\r\n--b--')]),
    });
    expect(refused.status).toBe(400);
    expect((await post(`uploadType=media&name=${encodeURIComponent(`videos/${randomUUID()}.png`)}`)).status).toBe(200);
  });

  it("lets server code past the rules on the Firebase API (getDownloadURL's read), and nobody else", async () => {
    const path = `videos/u7/${randomUUID()}.mp4`;
    await store.put(path, chunked(pattern(10)), { contentType: 'video/mp4' });
    const url = `${origin}/v0/b/${BUCKET}/o/${encodeURIComponent(path)}`;
    expect((await fetch(url)).status).toBe(403);
    expect((await fetch(url, { headers: { 'x-goog-api-client': 'gl-node/20 gccl/7.22.0-CJS', authorization: 'Firebase x.y.z' } })).status).toBe(403);
    const asClientLibrary = await fetch(url, { headers: { 'x-goog-api-client': 'gl-node/20 gccl/7.22.0-CJS' } });
    expect(asClientLibrary.status).toBe(200);
    expect(await asClientLibrary.json()).toMatchObject({ name: path, downloadTokens: expect.any(String) });
    expect((await fetch(url, { headers: { authorization: 'Bearer owner' } })).status).toBe(200);
  });

  it('refuses to listen beyond the loopback interface (its Cloud Storage API has no rules)', async () => {
    await expect(startLocalStoreServer({ root, host: '0.0.0.0', port: 0 })).rejects.toThrow(/127\.0\.0\.1/);
  });

  it('leaves no object and no partial file when an upload is cut off mid-body', async () => {
    const path = `videos/u6/${randomUUID()}/attempt-0.mp4`;
    const folder = dirname(objectFile(root, BUCKET, path));
    const { port } = server.server.address() as AddressInfo;
    const upload = request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: `/upload/storage/v1/b/${BUCKET}/o?uploadType=multipart&name=${encodeURIComponent(path)}`,
      headers: { 'content-type': 'multipart/related; boundary=cut' },
    });
    upload.on('error', () => undefined);
    upload.write(`--cut\r\nContent-Type: application/json\r\n\r\n{"contentType":"video/mp4"}\r\n--cut\r\nContent-Type: video/mp4\r\n\r\n`);
    upload.write(pattern(2 * 1024 * 1024, 7));
    // The server is writing the bytes beside the object: then the client dies.
    await until(async () => (await readdir(folder).catch(() => [])).some((name) => name.endsWith('.partial')));
    upload.destroy();

    await until(async () => (await readdir(folder).catch(() => [])).length === 0);
    await expect(file(path).getMetadata()).rejects.toMatchObject({ code: 404 });
    await expect(store.read(path)).rejects.toMatchObject({ code: 404 });
  });
});
