import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, rename, stat, writeFile } from 'node:fs/promises';
import type { FastifyReply } from 'fastify';
import { CRC32C } from '@google-cloud/storage';
import { objectFile, type LocalObjectMeta } from './local-object-store';
import { isStorableName } from './rules';

/**
 * An object's sidecar as the store server writes it: LocalObjectStore's format, plus the custom
 * metadata of an upload that had some, and the hashes when they were taken as the bytes came in.
 * `downloadToken` may hold several tokens separated by commas, as Firebase keeps them.
 */
export type StoredMeta = LocalObjectMeta & { customMetadata?: Record<string, string>; md5Hash?: string; crc32c?: string };

/** What both APIs report about an object beyond its sidecar. */
export interface ObjectInfo {
  generation: string;
  timeCreated: string;
  updated: string;
  md5Hash: string;
  crc32c: string;
}

/** The file of an object named as Firebase and Cloud Storage name it, or null when the name cannot be held as named. */
export function fileOf(root: string, bucket: string, name: string): string | null {
  if (!isStorableName(name)) return null;
  try {
    return objectFile(root, bucket, name);
  } catch {
    return null;
  }
}

/** The sidecar of an object, or null when there is no such object (or it is still being written). */
export async function readMeta(file: string): Promise<StoredMeta | null> {
  return readFile(`${file}.meta.json`, 'utf8').then((text) => JSON.parse(text) as StoredMeta).catch(() => null);
}

/** Replaces an object's sidecar in one step (write beside it, then rename), so a reader never sees half of one. */
export async function writeMeta(file: string, meta: StoredMeta): Promise<void> {
  const partial = `${file}.meta.json.${randomUUID()}.partial`;
  await writeFile(partial, JSON.stringify(meta));
  await rename(partial, `${file}.meta.json`);
}

export function hasDownloadToken(meta: StoredMeta, token: string | undefined): boolean {
  return token !== undefined && token !== '' && meta.downloadToken.split(',').includes(token);
}

/** MD5 and CRC-32C of a whole file, base64, in one read. */
export async function hashFile(file: string): Promise<{ md5Hash: string; crc32c: string }> {
  const md5 = createHash('md5');
  const crc = new CRC32C();
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    md5.update(chunk);
    crc.update(chunk);
  }
  return { md5Hash: md5.digest('base64'), crc32c: crc.toString() };
}

/** Times and hashes of an object; the hashes come from the sidecar, or are computed for an object stored without them. */
export async function objectInfo(file: string, meta: StoredMeta): Promise<ObjectInfo> {
  const info = await stat(file);
  const hashes = meta.md5Hash && meta.crc32c ? { md5Hash: meta.md5Hash, crc32c: meta.crc32c } : await hashFile(file);
  const created = info.birthtimeMs > 0 ? info.birthtime : info.mtime;
  return {
    generation: String(Math.trunc(info.mtimeMs * 1000)),
    timeCreated: created.toISOString(),
    updated: info.mtime.toISOString(),
    ...hashes,
  };
}

/**
 * Streams an object, or the one byte range a `Range: bytes=a-b` header asks for (the web SDK's
 * `getBytes` with a size limit sends one, and so does `createReadStream({ start, end })`).
 */
export function sendMedia(reply: FastifyReply, range: string | undefined, file: string, meta: StoredMeta, headers: Record<string, string> = {}): FastifyReply {
  reply.headers(headers).header('content-type', meta.contentType).header('accept-ranges', 'bytes');
  const match = /^bytes=(\d+)-(\d*)$/.exec(range ?? '');
  if (!match) return reply.header('content-length', meta.sizeBytes).send(createReadStream(file));
  const start = Number(match[1]);
  const end = Math.min(match[2] ? Number(match[2]) : meta.sizeBytes - 1, meta.sizeBytes - 1);
  if (start > end) return reply.code(416).header('content-range', `bytes */${meta.sizeBytes}`).send();
  return reply
    .code(206)
    .header('content-range', `bytes ${start}-${end}/${meta.sizeBytes}`)
    .header('content-length', end - start + 1)
    .send(createReadStream(file, { start, end }));
}
