import { createReadStream } from 'node:fs';
import { request } from 'node:http';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { outputPaths } from '@vidgen/media';
import { LocalObjectStore, objectFile } from '../src/local-object-store';
import { startLocalStoreServer } from '../src/server';
import { tempDir } from '../../packages/media/test/support/media';

describe('LocalObjectStore + startLocalStoreServer', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let server: FastifyInstance;
  let baseUrl: string;
  let store: LocalObjectStore;
  const bucket = 'demo-bucket';

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('local-store'));
    server = await startLocalStoreServer({ root: join(dir, 'root'), host: '127.0.0.1', port: 0 });
    baseUrl = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
    store = new LocalObjectStore(join(dir, 'root'), bucket, baseUrl);
  });
  afterAll(async () => {
    await server.close();
    await cleanup();
  });

  it('streams a file in and serves it back with its type and length', async () => {
    const source = join(dir, 'source.mp4');
    const bytes = Buffer.alloc(300_000);
    for (let i = 0; i < bytes.length; i += 1) bytes[i] = (i * 31) % 251;
    await writeFile(source, bytes);
    const { video } = outputPaths('user-1', 'job-1', 0);

    const { downloadUrl, sizeBytes } = await store.put(video, createReadStream(source), { contentType: 'video/mp4' });
    expect(sizeBytes).toBe(bytes.length);
    const url = new URL(downloadUrl);
    expect(url.origin).toBe(baseUrl);
    expect(url.pathname).toBe(`/v0/b/${bucket}/o/${encodeURIComponent(video)}`);
    expect(url.searchParams.get('alt')).toBe('media');
    expect(url.searchParams.get('token')).toMatch(/^[0-9a-f-]{36}$/);

    const response = await fetch(downloadUrl);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('video/mp4');
    expect(response.headers.get('content-length')).toBe(String(bytes.length));
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(Buffer.from(await response.arrayBuffer()).equals(bytes)).toBe(true);

    // On disk: the object and its sidecar, no partial file left behind.
    const file = objectFile(join(dir, 'root'), bucket, video);
    expect((await readFile(file)).equals(bytes)).toBe(true);
    expect(JSON.parse(await readFile(`${file}.meta.json`, 'utf8'))).toMatchObject({ contentType: 'video/mp4', sizeBytes: bytes.length });
    expect((await readdir(join(dir, 'root', bucket, 'videos', 'user-1', 'job-1'))).filter((name) => name.includes('partial'))).toEqual([]);
  });

  it('serves a poster from a stream made in memory', async () => {
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9]);
    const { poster } = outputPaths('user-1', 'job-2', 1);
    const { downloadUrl, sizeBytes } = await store.put(poster, Readable.from([jpeg]), { contentType: 'image/jpeg' });
    expect(sizeBytes).toBe(jpeg.length);
    const response = await fetch(downloadUrl);
    expect(response.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await response.arrayBuffer()).equals(jpeg)).toBe(true);
  });

  it('a second put gets a new token; the old URL stops working', async () => {
    const path = 'videos/u/j/attempt-3.mp4';
    const first = await store.put(path, Readable.from([Buffer.from('one')]), { contentType: 'video/mp4' });
    const second = await store.put(path, Readable.from([Buffer.from('two!')]), { contentType: 'video/mp4' });
    expect((await fetch(first.downloadUrl)).status).toBe(403);
    const response = await fetch(second.downloadUrl);
    expect(await response.text()).toBe('two!');
  });

  it('a wrong or missing token is 403', async () => {
    const { downloadUrl } = await store.put('videos/u/j/secret.mp4', Readable.from([Buffer.from('secret')]), { contentType: 'video/mp4' });
    const wrong = new URL(downloadUrl);
    wrong.searchParams.set('token', '00000000-0000-4000-8000-000000000000');
    const response = await fetch(wrong);
    expect(response.status).toBe(403);
    expect(await response.text()).not.toContain('secret');
    const none = new URL(downloadUrl);
    none.searchParams.delete('token');
    expect((await fetch(none)).status).toBe(403);
  });

  it('a missing object is 404', async () => {
    const response = await fetch(`${baseUrl}/v0/b/${bucket}/o/${encodeURIComponent('videos/nobody/none.mp4')}?alt=media&token=x`);
    expect(response.status).toBe(404);
    expect((await fetch(`${baseUrl}/v0/b/other-bucket/o/x.mp4?alt=media&token=x`)).status).toBe(404);
  });

  it('an object path escaping the bucket is refused over HTTP', async () => {
    await writeFile(join(dir, 'root', 'outside.txt'), 'outside');
    await writeFile(join(dir, 'root', 'outside.txt.meta.json'), JSON.stringify({ contentType: 'text/plain', downloadToken: 't', sizeBytes: 7 }));
    const response = await fetch(`${baseUrl}/v0/b/${bucket}/o/${encodeURIComponent('../outside.txt')}?alt=media&token=t`);
    expect(response.status).toBe(400);
  });

  // The bucket segment is confined to the store root too: GET /v0/b/%2E%2E/o/outside.txt must not
  // serve <root>/../outside.txt, even with a sidecar holding a matching token beside it.
  it('a bucket segment escaping the root is refused over HTTP', async () => {
    await writeFile(join(dir, 'outside.txt'), 'outside');
    await writeFile(join(dir, 'outside.txt.meta.json'), JSON.stringify({ contentType: 'text/plain', downloadToken: 't', sizeBytes: 7 }));
    // A raw request: fetch would normalise %2E%2E away before sending.
    const status = await new Promise<number>((done, fail) => {
      const port = Number(new URL(baseUrl).port);
      request({ host: '127.0.0.1', port, path: '/v0/b/%2E%2E/o/outside.txt?alt=media&token=t' }, (response) => {
        response.resume();
        done(response.statusCode ?? 0);
      })
        .on('error', fail)
        .end();
    });
    expect(status).toBe(400);
  });

  // Fastify has already decoded the object path: decoding it again would not serve a path with a
  // literal '%' at the URL put() returned.
  it.each(['videos/u/100%.mp4', 'videos/u/50%25.mp4'])('serves %j at the URL put() returned', async (path) => {
    const { downloadUrl } = await store.put(path, Readable.from([Buffer.from('percent')]), { contentType: 'video/mp4' });
    const response = await fetch(downloadUrl);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('percent');
  });

  it('serves a path with spaces and unicode at the URL put() returned', async () => {
    const path = 'videos/u/my clip – été.mp4';
    const { downloadUrl } = await store.put(path, Readable.from([Buffer.from('spaces')]), { contentType: 'video/mp4' });
    const response = await fetch(downloadUrl);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('spaces');
  });

  it('answers /health', async () => {
    expect(await (await fetch(`${baseUrl}/health`)).json()).toEqual({ status: 'ok' });
  });

  it('refuses to put an object outside the bucket', async () => {
    await expect(store.put('../escape.mp4', Readable.from([Buffer.from('x')]), { contentType: 'video/mp4' })).rejects.toThrow(/escapes the store/);
  });
});

describe('objectFile', () => {
  const root = resolve('/srv/store');

  it('resolves paths inside the bucket', () => {
    expect(objectFile(root, 'b', 'videos/u/j/attempt-0.mp4')).toBe(join(root, 'b', 'videos', 'u', 'j', 'attempt-0.mp4'));
    expect(objectFile(root, 'b', 'a/../c.mp4')).toBe(join(root, 'b', 'c.mp4'));
  });

  it.each(['../x', '../../etc/passwd', 'a/../../x', '/etc/passwd', '..', '.', '', '../b-other/x'])('refuses %j', (path) => {
    expect(() => objectFile(root, 'b', path)).toThrow(/escapes the store/);
  });

  // The bucket is a URL parameter too (GET /v0/b/%2E%2E/o/...): it is checked against the store
  // root as the object path is against the bucket folder.
  it.each(['..', '../elsewhere', '/etc'])('refuses a bucket %j that escapes the root', (bucketName) => {
    expect(() => objectFile(root, bucketName, 'x')).toThrow(/escapes the store/);
  });

  it('every resolved path stays under root/bucket', () => {
    for (const path of ['x', 'a/b/c', 'a/./b', 'a//b']) expect(objectFile(root, 'b', path).startsWith(join(root, 'b') + sep)).toBe(true);
  });
});
