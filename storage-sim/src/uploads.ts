import { randomUUID } from 'node:crypto';
import { z } from 'zod';

/**
 * The object resource of an upload as the Firebase web SDK sends it (its writable fields, JSON): in
 * the first part of a multipart upload, or as the body of a resumable upload's `start`.
 */
export const UploadMetadataSchema = z.looseObject({
  name: z.string().optional(),
  contentType: z.string().min(1).optional(),
  metadata: z.record(z.string(), z.string()).nullable().optional().describe('Custom metadata.'),
});
export type UploadMetadata = z.infer<typeof UploadMetadataSchema>;

/** A malformed upload request: answered 400 with this message. */
export class UploadRequestError extends Error {
  override readonly name = 'UploadRequestError';
}

export function parseUploadMetadata(text: string): UploadMetadata {
  let json: unknown;
  try {
    json = text.trim() === '' ? {} : JSON.parse(text);
  } catch {
    throw new UploadRequestError('The upload metadata is not JSON.');
  }
  const parsed = UploadMetadataSchema.safeParse(json);
  if (!parsed.success) throw new UploadRequestError(`The upload metadata is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

/**
 * Splits a `multipart/related` upload body (what the web SDK's `uploadBytes` sends):
 *
 *   --B\r\nContent-Type: application/json; charset=utf-8\r\n\r\n{metadata}\r\n--B\r\nContent-Type: T\r\n\r\n{bytes}\r\n--B--
 *
 * The data part ends at the last closing delimiter, so bytes that happen to contain the boundary
 * inside the file do not cut it short.
 */
export function parseMultipartRelated(contentType: string, body: Buffer): { metadata: UploadMetadata; data: Buffer; dataContentType: string | null } {
  const boundary = multipartBoundary(contentType);
  const open = Buffer.from(`--${boundary}\r\n`);
  const between = Buffer.from(`\r\n--${boundary}\r\n`);
  const close = Buffer.from(`\r\n--${boundary}--`);
  if (!body.subarray(0, open.length).equals(open)) throw new UploadRequestError('The multipart body does not start with its boundary.');
  const firstEnd = body.indexOf(between, open.length);
  const lastEnd = body.lastIndexOf(close);
  if (firstEnd < 0 || lastEnd < firstEnd + between.length) throw new UploadRequestError('The multipart body must have exactly two parts: metadata, then data.');
  const first = splitPart(body.subarray(open.length, firstEnd));
  const second = splitPart(body.subarray(firstEnd + between.length, lastEnd));
  return { metadata: parseUploadMetadata(first.content.toString('utf8')), data: second.content, dataContentType: second.contentType };
}

/** The boundary named by a `multipart/related` Content-Type header. */
export function multipartBoundary(contentType: string): string {
  const match = /^multipart\/related\s*;.*\bboundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const boundary = match?.[1] ?? match?.[2];
  if (!boundary) throw new UploadRequestError(`A multipart upload needs Content-Type: multipart/related; boundary=..., not "${contentType}".`);
  return boundary;
}

/** One part of a multipart body: its Content-Type header, and what follows its headers. */
export function splitPart(part: Buffer): { contentType: string | null; content: Buffer } {
  const headerEnd = part.indexOf('\r\n\r\n');
  if (headerEnd < 0) throw new UploadRequestError('A multipart part has no headers.');
  const headers = part.subarray(0, headerEnd).toString('latin1').split('\r\n');
  const contentType = headers.map((line) => /^content-type:\s*(.+)$/i.exec(line)?.[1]?.trim()).find((value) => value !== undefined) ?? null;
  return { contentType, content: part.subarray(headerEnd + 4) };
}

/** A resumable upload in progress: bytes held in memory (reference images are small). */
export interface ResumableUpload {
  id: string;
  bucket: string;
  name: string;
  contentType: string;
  customMetadata: Record<string, string> | null;
  /** The uid of the token that started the upload; rules are checked against it at finalize, as the Storage emulator does. */
  uid: string | null;
  data: Buffer;
  /** Bytes received so far; kept when the upload ends and its bytes are dropped. */
  received: number;
  status: 'active' | 'final' | 'cancelled';
  /** What finalize answered, repeated to a client that finalizes again. */
  finalResponse: { statusCode: number; body: unknown } | null;
  startedAt: number;
}

/** Resumable uploads by id; one left unfinished is forgotten after `ttlMs`. */
export class ResumableUploads {
  private readonly uploads = new Map<string, ResumableUpload>();
  constructor(private readonly ttlMs = 60 * 60 * 1000) {}

  start(init: Pick<ResumableUpload, 'bucket' | 'name' | 'contentType' | 'customMetadata' | 'uid'>): ResumableUpload {
    const now = Date.now();
    for (const [id, upload] of this.uploads) if (now - upload.startedAt > this.ttlMs) this.uploads.delete(id);
    const upload: ResumableUpload = { ...init, id: randomUUID(), data: Buffer.alloc(0), received: 0, status: 'active', finalResponse: null, startedAt: now };
    this.uploads.set(upload.id, upload);
    return upload;
  }

  get(id: string): ResumableUpload | undefined {
    return this.uploads.get(id);
  }

  /**
   * Writes `chunk` at `offset`. A client resending a range it already sent (after a lost answer)
   * overwrites from there; a gap is refused.
   */
  append(upload: ResumableUpload, offset: number, chunk: Buffer): void {
    if (!Number.isInteger(offset) || offset < 0 || offset > upload.data.length) {
      throw new UploadRequestError(`X-Goog-Upload-Offset ${offset} does not match the ${upload.data.length} bytes received.`);
    }
    upload.data = Buffer.concat([upload.data.subarray(0, offset), chunk]);
    upload.received = upload.data.length;
  }

  /** Ends an upload with the answer its finalize got, dropping the bytes. */
  finish(upload: ResumableUpload, statusCode: number, body: unknown): void {
    upload.status = 'final';
    upload.finalResponse = { statusCode, body };
    upload.data = Buffer.alloc(0);
  }

  cancel(upload: ResumableUpload): void {
    upload.status = 'cancelled';
    upload.data = Buffer.alloc(0);
  }
}
