import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { getDownloadURL, getStorage } from 'firebase-admin/storage';
import type { App } from 'firebase-admin/app';
import type { ObjectStore } from './store';

/** Cloud Storage through the Admin SDK, with a Firebase download token so clients get a plain URL. */
export class CloudObjectStore implements ObjectStore {
  constructor(private readonly app: App, private readonly bucketName?: string) {}

  async put(path: string, body: Readable, options: { contentType: string }): Promise<{ downloadUrl: string; sizeBytes: number }> {
    const file = getStorage(this.app).bucket(this.bucketName).file(path);
    let sizeBytes = 0;
    body.on('data', (chunk: Buffer) => {
      sizeBytes += chunk.length;
    });
    await pipeline(
      body,
      file.createWriteStream({
        contentType: options.contentType,
        resumable: false,
        metadata: { metadata: { firebaseStorageDownloadTokens: randomUUID() } },
      }),
    );
    return { downloadUrl: await getDownloadURL(file), sizeBytes };
  }

  async remove(path: string): Promise<void> {
    await getStorage(this.app).bucket(this.bucketName).file(path).delete({ ignoreNotFound: true });
  }

  async read(path: string): Promise<{ body: Readable; contentType: string; sizeBytes: number }> {
    const file = getStorage(this.app).bucket(this.bucketName).file(path);
    const [metadata] = await file.getMetadata();
    return { body: file.createReadStream(), contentType: String(metadata.contentType ?? 'application/octet-stream'), sizeBytes: Number(metadata.size ?? 0) };
  }
}
