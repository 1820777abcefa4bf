import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ObjectStore } from '@vidgen/media';

export interface LocalObjectMeta {
  contentType: string;
  downloadToken: string;
  sizeBytes: number;
}

/** Resolves an object path inside the store root, refusing anything that would escape it. */
export function objectFile(root: string, bucket: string, path: string): string {
  if (!/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(bucket)) throw new Error(`Invalid bucket name; it escapes the store: ${bucket}`);
  const base = resolve(root, bucket);
  const file = resolve(base, path);
  if (!file.startsWith(base + sep)) throw new Error(`Object path escapes the store: ${path}`);
  return file;
}

/**
 * The local stack's stand-in for Cloud Storage: files on disk with a sidecar holding the content
 * type and a download token, served by {@link startLocalStoreServer} at Firebase-style URLs.
 */
export class LocalObjectStore implements ObjectStore {
  constructor(private readonly root: string, private readonly bucket: string, private readonly publicUrl: string) {}

  async put(path: string, body: Readable, options: { contentType: string }): Promise<{ downloadUrl: string; sizeBytes: number }> {
    const file = objectFile(this.root, this.bucket, path);
    await mkdir(dirname(file), { recursive: true });
    const partial = `${file}.${randomUUID()}.partial`;
    await pipeline(body, createWriteStream(partial));
    const { size } = await stat(partial);
    const meta: LocalObjectMeta = { contentType: options.contentType, downloadToken: randomUUID(), sizeBytes: size };
    await writeFile(`${file}.meta.json`, JSON.stringify(meta));
    await rename(partial, file);
    const url = new URL(`/v0/b/${this.bucket}/o/${encodeURIComponent(path)}`, this.publicUrl);
    url.searchParams.set('alt', 'media');
    url.searchParams.set('token', meta.downloadToken);
    return { downloadUrl: url.toString(), sizeBytes: size };
  }

  async remove(path: string): Promise<void> {
    const file = objectFile(this.root, this.bucket, path);
    await rm(file, { force: true });
    await rm(`${file}.meta.json`, { force: true });
  }

  async read(path: string): Promise<{ body: Readable; contentType: string; sizeBytes: number }> {
    const file = objectFile(this.root, this.bucket, path);
    const meta = JSON.parse(await readFile(`${file}.meta.json`, 'utf8')) as LocalObjectMeta;
    return { body: createReadStream(file), contentType: meta.contentType, sizeBytes: meta.sizeBytes };
  }
}
