import { createHash } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { replicateId } from '../shared/ids';

/**
 * A file as Replicate's files API answers it (`POST /v1/files`, `GET /v1/files/{id}`): the fields
 * of the replicate client's `FileObject` type (replicate 1.4.0 index.d.ts) plus `name` and the md5
 * checksum of Replicate's HTTP API reference, "Create a file". Files expire 24 hours after upload.
 */
export interface FileObject {
  id: string;
  name: string;
  content_type: string;
  size: number;
  etag: string;
  checksums: { sha256: string; md5: string };
  metadata: Record<string, unknown>;
  created_at: string;
  expires_at: string;
  urls: { get: string };
}

const EXPIRES_MS = 24 * 60 * 60 * 1000;

/** The uploaded files, kept in the simulator's data folder. */
export class UploadedFiles {
  private readonly files = new Map<string, { object: FileObject; path: string }>();

  constructor(private readonly dir: string) {}

  /** Stores the bytes and answers the file object, its `urls.get` on `apiUrl`. */
  async add(apiUrl: string, upload: { name: string; contentType: string; bytes: Buffer; metadata: Record<string, unknown> }): Promise<FileObject> {
    const id = replicateId();
    const path = join(this.dir, `upload-${id}`);
    await writeFile(path, upload.bytes);
    const md5 = createHash('md5').update(upload.bytes).digest('hex');
    const now = Date.now();
    const object: FileObject = {
      id,
      name: upload.name,
      content_type: upload.contentType,
      size: upload.bytes.length,
      etag: `"${md5}"`,
      checksums: { sha256: createHash('sha256').update(upload.bytes).digest('hex'), md5 },
      metadata: upload.metadata,
      created_at: new Date(now).toISOString(),
      expires_at: new Date(now + EXPIRES_MS).toISOString(),
      urls: { get: `${apiUrl}/files/${id}` },
    };
    this.files.set(id, { object, path });
    return object;
  }

  get(id: string): { object: FileObject; path: string } | undefined {
    return this.files.get(id);
  }

  list(): FileObject[] {
    return [...this.files.values()].map((file) => structuredClone(file.object));
  }

  async remove(id: string): Promise<boolean> {
    const file = this.files.get(id);
    if (!file) return false;
    this.files.delete(id);
    await rm(file.path, { force: true });
    return true;
  }

  /**
   * Whether a URL that names one of this simulator's files (`…/v1/files/{id}`) names one that
   * exists; a URL elsewhere is not ours to judge (true).
   */
  resolvable(url: string): boolean {
    const match = /\/v1\/files\/([a-z2-7]+)$/.exec(url);
    return !match || this.files.has(match[1]!);
  }
}
