import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { deleteApp, initializeApp, type FirebaseApp } from 'firebase/app';
import {
  connectStorageEmulator,
  getBytes,
  getDownloadURL,
  getMetadata,
  getStorage,
  ref,
  uploadBytes,
  uploadBytesResumable,
  type FirebaseStorage,
  type StorageError,
} from 'firebase/storage';
import { readSmallObject } from '@vidgen/media';
import { LocalObjectStore, objectFile } from '../src/local-object-store';
import { startLocalStoreServer } from '../src/server';
import { tempDir } from '../../packages/media/test/support/media';

const PROJECT = 'demo-media-test';
const BUCKET = `${PROJECT}.appspot.com`;
const MiB = 1024 * 1024;

/**
 * An ID token as the Auth emulator issues one to an anonymous user: an unsigned JWT (`alg: none`,
 * empty signature) whose payload names the user in `user_id` and `sub`.
 */
function anonymousIdToken(uid: string): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const payload = {
    iss: `https://securetoken.google.com/${PROJECT}`, aud: PROJECT, auth_time: now, iat: now, exp: now + 3600,
    user_id: uid, sub: uid, firebase: { identities: {}, sign_in_provider: 'anonymous' },
  };
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(payload)}.`;
}

/** Bytes that start like a PNG, of any size, different for each seed. */
function pngLike(size: number, seed = 1): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i += 1) bytes[i] = (i * 31 + seed * 7) % 251;
  bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return bytes;
}

async function storageError(promise: Promise<unknown>): Promise<StorageError> {
  try {
    await promise;
  } catch (error) {
    return error as StorageError;
  }
  throw new Error('expected the Storage call to be refused');
}

describe('the local store speaks the Firebase Storage API to the real web SDK (firebase/storage)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let root: string;
  let server: FastifyInstance;
  let port: number;
  const apps: FirebaseApp[] = [];
  const alice = `alice${randomUUID().slice(0, 8)}`;
  const bob = `bob${randomUUID().slice(0, 8)}`;
  let asAlice: FirebaseStorage;
  let asBob: FirebaseStorage;
  let signedOut: FirebaseStorage;

  /** A web app's Storage, pointed at the local store with `connectStorageEmulator`, signed in as `uid` (or not). */
  function storageFor(uid: string | null): FirebaseStorage {
    const app = initializeApp({ projectId: PROJECT, apiKey: 'demo-api-key', appId: 'demo-app', storageBucket: BUCKET }, `storage-${randomUUID()}`);
    apps.push(app);
    const storage = getStorage(app);
    connectStorageEmulator(storage, '127.0.0.1', port, uid === null ? {} : { mockUserToken: anonymousIdToken(uid) });
    return storage;
  }

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('local-store-sdk'));
    root = join(dir, 'root');
    server = await startLocalStoreServer({ root, host: '127.0.0.1', port: 0 });
    port = (server.server.address() as AddressInfo).port;
    asAlice = storageFor(alice);
    asBob = storageFor(bob);
    signedOut = storageFor(null);
  });
  afterAll(async () => {
    await Promise.all(apps.map((app) => deleteApp(app)));
    await server.close();
    await cleanup();
  });

  describe('uploads (storage.rules: own folder, images, under 10 MiB)', () => {
    it('uploads an image into the own folder with uploadBytes; the worker reads it through LocalObjectStore', async () => {
      const bytes = pngLike(5000);
      const path = `uploads/${alice}/reference.png`;
      const result = await uploadBytes(ref(asAlice, path), bytes, { contentType: 'image/png' });
      expect(result.metadata).toMatchObject({ bucket: BUCKET, fullPath: path, name: 'reference.png', size: 5000, contentType: 'image/png' });

      const store = new LocalObjectStore(root, BUCKET, `http://127.0.0.1:${port}`);
      const read = await readSmallObject(store, path, 10 * MiB);
      expect(read.contentType).toBe('image/png');
      expect(read.bytes.equals(Buffer.from(bytes))).toBe(true);
      const sidecar = objectFile(root, BUCKET, path);
      expect(existsSync(`${sidecar}.meta.json`)).toBe(true);
    });

    it('uploads a larger image with the resumable protocol (uploadBytesResumable, several chunks)', async () => {
      const bytes = pngLike(Math.round(1.6 * MiB), 2);
      const path = `uploads/${alice}/big.webp`;
      const task = uploadBytesResumable(ref(asAlice, path), bytes, { contentType: 'image/webp' });
      const progress: number[] = [];
      task.on('state_changed', (snapshot) => progress.push(snapshot.bytesTransferred));
      const done = await task;
      expect(done.metadata).toMatchObject({ fullPath: path, size: bytes.length, contentType: 'image/webp' });
      expect(progress.length).toBeGreaterThan(1);
      expect(Buffer.from(await getBytes(ref(asAlice, path))).equals(Buffer.from(bytes))).toBe(true);
    });

    it("refuses an upload into another user's folder, and a signed-out upload", async () => {
      const intoBobs = await storageError(uploadBytes(ref(asAlice, `uploads/${bob}/x.png`), pngLike(100), { contentType: 'image/png' }));
      expect(intoBobs.code).toBe('storage/unauthorized');
      expect(intoBobs.status).toBe(403);
      expect(existsSync(objectFile(root, BUCKET, `uploads/${bob}/x.png`))).toBe(false);

      const anonymous = await storageError(uploadBytes(ref(signedOut, `uploads/${alice}/y.png`), pngLike(100), { contentType: 'image/png' }));
      expect(anonymous.code).toBe('storage/unauthorized');
      expect(existsSync(objectFile(root, BUCKET, `uploads/${alice}/y.png`))).toBe(false);
    });

    it('refuses uploads anywhere but uploads/{uid}/ (videos are written by server code only)', async () => {
      for (const path of [`videos/${alice}/job/attempt-0.mp4`, `${alice}/x.png`, 'x.png', `uploads/${alice}`]) {
        const error = await storageError(uploadBytes(ref(asAlice, path), pngLike(100), { contentType: 'image/png' }));
        expect(error.code).toBe('storage/unauthorized');
      }
    });

    it.each([
      ['text/plain', 'notes.txt'],
      ['image/gif', 'anim.gif'],
      ['image/svg+xml', 'vector.svg'],
      ['application/octet-stream', 'blob.bin'],
      ['video/mp4', 'clip.mp4'],
      ['image/pngx', 'almost.png'],
    ])('refuses content type %s', async (contentType, name) => {
      const error = await storageError(uploadBytes(ref(asAlice, `uploads/${alice}/${name}`), pngLike(100), { contentType }));
      expect(error.code).toBe('storage/unauthorized');
      expect(existsSync(objectFile(root, BUCKET, `uploads/${alice}/${name}`))).toBe(false);
    });

    it('accepts jpeg, and refuses 10 MiB and more (multipart and resumable alike) while just under passes', async () => {
      await uploadBytes(ref(asAlice, `uploads/${alice}/photo.jpg`), pngLike(2000), { contentType: 'image/jpeg' });

      const tooBig = await storageError(uploadBytes(ref(asAlice, `uploads/${alice}/huge.png`), pngLike(10 * MiB), { contentType: 'image/png' }));
      expect(tooBig.code).toBe('storage/unauthorized');
      const tooBigResumable = await storageError(uploadBytesResumable(ref(asAlice, `uploads/${alice}/huge2.png`), pngLike(12 * MiB), { contentType: 'image/png' }).then());
      expect(tooBigResumable.code).toBe('storage/unauthorized');
      expect(existsSync(objectFile(root, BUCKET, `uploads/${alice}/huge.png`))).toBe(false);
      expect(existsSync(objectFile(root, BUCKET, `uploads/${alice}/huge2.png`))).toBe(false);

      const justUnder = await uploadBytes(ref(asAlice, `uploads/${alice}/just-under.png`), pngLike(10 * MiB - 1), { contentType: 'image/png' });
      expect(justUnder.metadata.size).toBe(10 * MiB - 1);
    });

    it('checks the rules on the bytes at finalize, not only on the size a resumable upload declared', async () => {
      const base = `http://127.0.0.1:${port}/v0/b/${BUCKET}/o`;
      const auth = { authorization: `Firebase ${anonymousIdToken(alice)}` };
      const start = await fetch(`${base}?name=${encodeURIComponent(`uploads/${alice}/liar.png`)}`, {
        method: 'POST',
        headers: { ...auth, 'x-goog-upload-protocol': 'resumable', 'x-goog-upload-command': 'start', 'x-goog-upload-header-content-length': '10', 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify({ name: `uploads/${alice}/liar.png`, contentType: 'image/png' }),
      });
      expect(start.status).toBe(200);
      const uploadUrl = start.headers.get('x-goog-upload-url')!;
      expect(new URL(uploadUrl).searchParams.get('upload_protocol')).toBe('resumable');
      const finish = await fetch(uploadUrl, {
        method: 'POST',
        headers: { 'x-goog-upload-command': 'upload, finalize', 'x-goog-upload-offset': '0' },
        body: Buffer.from(pngLike(10 * MiB + 5)),
      });
      expect(finish.status).toBe(403);
      expect(finish.headers.get('x-goog-upload-status')).toBe('final');
      expect(await finish.json()).toEqual({ error: { code: 403, message: 'Permission denied. No WRITE permission.' } });
      expect(existsSync(objectFile(root, BUCKET, `uploads/${alice}/liar.png`))).toBe(false);
    });

    it.each([`uploads/ALICE/../BOB/x.png`, 'uploads/ALICE/./x.png', 'uploads/ALICE//x.png', 'uploads/ALICE/x.png.meta.json'])(
      'refuses an object name the store cannot hold as named: %s',
      async (template) => {
        const name = template.replace('ALICE', alice).replace('BOB', bob);
        const response = await fetch(`http://127.0.0.1:${port}/v0/b/${BUCKET}/o?name=${encodeURIComponent(name)}`, {
          method: 'POST',
          headers: { authorization: `Firebase ${anonymousIdToken(alice)}`, 'x-goog-upload-protocol': 'multipart', 'content-type': 'multipart/related; boundary=b' },
          body: `--b\r\nContent-Type: application/json; charset=utf-8\r\n\r\n{"contentType":"image/png"}\r\n--b\r\nContent-Type: image/png\r\n\r\nPNG\r\n--b--`,
        });
        expect(response.status).toBe(400);
        expect(existsSync(objectFile(root, BUCKET, `uploads/${bob}/x.png`))).toBe(false);
      },
    );
  });

  describe('reads: metadata, download URLs, bytes', () => {
    const bytes = pngLike(3000, 3);
    let path: string;
    beforeAll(async () => {
      path = `uploads/${alice}/with meta – é.png`;
      await uploadBytes(ref(asAlice, path), bytes, { contentType: 'image/png', customMetadata: { purpose: 'reference' } });
    });

    it('getMetadata answers the object resource', async () => {
      const metadata = await getMetadata(ref(asAlice, path));
      expect(metadata).toMatchObject({
        bucket: BUCKET,
        fullPath: path,
        name: 'with meta – é.png',
        size: 3000,
        contentType: 'image/png',
        md5Hash: createHash('md5').update(bytes).digest('base64'),
        customMetadata: { purpose: 'reference' },
        contentEncoding: 'identity',
      });
      expect(Date.parse(metadata.timeCreated)).toBeGreaterThan(Date.now() - 60_000);
      expect(Date.parse(metadata.updated)).toBeGreaterThan(Date.now() - 60_000);
      expect(metadata.generation).toMatch(/^\d+$/);
    });

    it('getDownloadURL gives a URL that anyone can fetch, and only with its token', async () => {
      const url = await getDownloadURL(ref(asAlice, path));
      const parsed = new URL(url);
      expect(parsed.origin).toBe(`http://127.0.0.1:${port}`);
      expect(parsed.pathname).toBe(`/v0/b/${BUCKET}/o/${encodeURIComponent(path)}`);
      expect(parsed.searchParams.get('alt')).toBe('media');
      const response = await fetch(url);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('image/png');
      expect(Buffer.from(await response.arrayBuffer()).equals(Buffer.from(bytes))).toBe(true);

      parsed.searchParams.set('token', randomUUID());
      expect((await fetch(parsed)).status).toBe(403);
    });

    it('getBytes reads the owner\'s object with the ID token alone, whole or up to a size', async () => {
      expect(Buffer.from(await getBytes(ref(asAlice, path))).equals(Buffer.from(bytes))).toBe(true);
      // The SDK asks for `Range: bytes=0-99` and keeps the first 99 bytes of the 206 answer.
      const head = await getBytes(ref(asAlice, path), 99);
      expect(Buffer.from(head).equals(Buffer.from(bytes.subarray(0, 99)))).toBe(true);
      const ranged = await fetch(await getDownloadURL(ref(asAlice, path)), { headers: { range: 'bytes=10-19' } });
      expect(ranged.status).toBe(206);
      expect(ranged.headers.get('content-range')).toBe('bytes 10-19/3000');
      expect(Buffer.from(await ranged.arrayBuffer()).equals(Buffer.from(bytes.subarray(10, 20)))).toBe(true);
    });

    it("refuses another user's and a signed-out caller's reads", async () => {
      for (const storage of [asBob, signedOut]) {
        for (const read of [getMetadata, getDownloadURL, getBytes] as const) {
          const error = await storageError(read(ref(storage, path)));
          expect(error.code).toBe('storage/unauthorized');
        }
      }
    });

    it("answers refusals in the Storage emulator's JSON shape", async () => {
      const objectUrl = `http://127.0.0.1:${port}/v0/b/${BUCKET}/o/${encodeURIComponent(path)}`;
      const read = await fetch(objectUrl, { headers: { authorization: `Firebase ${anonymousIdToken(bob)}` } });
      expect(read.status).toBe(403);
      expect(await read.json()).toEqual({ error: { code: 403, message: 'Permission denied. No READ permission.' } });
      const write = await fetch(`http://127.0.0.1:${port}/v0/b/${BUCKET}/o?name=${encodeURIComponent(`uploads/${alice}/by-bob.png`)}`, {
        method: 'POST',
        headers: { authorization: `Firebase ${anonymousIdToken(bob)}`, 'x-goog-upload-protocol': 'multipart', 'content-type': 'multipart/related; boundary=b' },
        body: `--b\r\nContent-Type: application/json; charset=utf-8\r\n\r\n{"contentType":"image/png"}\r\n--b\r\nContent-Type: image/png\r\n\r\nPNG\r\n--b--`,
      });
      expect(write.status).toBe(403);
      expect(await write.json()).toEqual({ error: { code: 403, message: 'Permission denied. No WRITE permission.' } });
    });

    it("lets the owner read their videos (written by the worker), and nobody else's", async () => {
      const video = `videos/${alice}/job-1/attempt-0.mp4`;
      await new LocalObjectStore(root, BUCKET, `http://127.0.0.1:${port}`).put(video, Readable.from([Buffer.from('mp4 bytes')]), { contentType: 'video/mp4' });
      const url = await getDownloadURL(ref(asAlice, video));
      expect(await (await fetch(url)).text()).toBe('mp4 bytes');
      expect((await getMetadata(ref(asAlice, video))).contentType).toBe('video/mp4');
      expect((await storageError(getDownloadURL(ref(asBob, video)))).code).toBe('storage/unauthorized');
    });

    it('answers a missing object of the own folder with object-not-found, and refuses to say so to others', async () => {
      expect((await storageError(getMetadata(ref(asAlice, `uploads/${alice}/none.png`)))).code).toBe('storage/object-not-found');
      expect((await storageError(getMetadata(ref(asBob, `uploads/${alice}/none.png`)))).code).toBe('storage/unauthorized');
    });

    it('answers CORS preflights for browser clients', async () => {
      const response = await fetch(`http://127.0.0.1:${port}/v0/b/${BUCKET}/o?name=x`, {
        method: 'OPTIONS',
        headers: { origin: 'http://localhost:5000', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,x-goog-upload-protocol' },
      });
      expect(response.status).toBe(204);
      expect(response.headers.get('access-control-allow-origin')).toBe('*');
      expect(response.headers.get('access-control-allow-headers')).toBe('authorization,x-goog-upload-protocol');
    });
  });
});
