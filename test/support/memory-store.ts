import { Readable } from 'node:stream';
import type { ObjectStore } from '@vidgen/media';

/**
 * Cloud Storage as the runner sees it, in memory: what was put, what was removed. `afterPut` runs
 * once an object is stored, so a test can change the world at that exact point (a lease lost
 * between the upload and the final write).
 */
export class MemoryStore implements ObjectStore {
  readonly objects = new Map<string, { bytes: Buffer; contentType: string }>();
  readonly removed: string[] = [];
  afterPut: ((path: string) => Promise<void>) | null = null;

  async put(path: string, body: Readable, options: { contentType: string }): Promise<{ downloadUrl: string; sizeBytes: number }> {
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk as Buffer);
    const bytes = Buffer.concat(chunks);
    this.objects.set(path, { bytes, contentType: options.contentType });
    await this.afterPut?.(path);
    return { downloadUrl: `memory://${path}`, sizeBytes: bytes.length };
  }

  async read(path: string): Promise<{ body: Readable; contentType: string; sizeBytes: number }> {
    const object = this.objects.get(path);
    if (!object) throw new Error(`No object ${path}`);
    return { body: Readable.from([object.bytes]), contentType: object.contentType, sizeBytes: object.bytes.length };
  }

  async remove(path: string): Promise<void> {
    this.removed.push(path);
    this.objects.delete(path);
  }

  paths(): string[] {
    return [...this.objects.keys()].sort();
  }
}
