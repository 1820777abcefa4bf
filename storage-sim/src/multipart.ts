import { multipartBoundary, parseUploadMetadata, splitPart, UploadRequestError, type UploadMetadata } from './uploads';

/** The most taken in before the data part starts (Cloud Storage allows 8 KiB of custom metadata). */
const HEAD_LIMIT_BYTES = 1024 * 1024;

/** Bytes held back at the end of the data, where the closing delimiter and any padding after it must lie. */
const TAIL_SLACK_BYTES = 1024;

export interface StreamedMultipart {
  metadata: UploadMetadata;
  dataContentType: string | null;
  /** The data part, chunk by chunk; throws when the body ends without its closing delimiter (a cut-off upload). */
  data: AsyncGenerator<Buffer>;
}

/**
 * Reads a `multipart/related` upload as it arrives: what @google-cloud/storage's simple upload
 * (`createWriteStream({ resumable: false })`) sends, chunked, with no Content-Length:
 *
 *   --B\r\nContent-Type: application/json\r\n\r\n{metadata}\r\n--B\r\nContent-Type: T\r\n\r\n{bytes}\r\n--B--
 *
 * The metadata part is parsed before this resolves; the data part is handed on as it comes and is
 * never held whole (videos run to hundreds of MB). As in {@link parseMultipartRelated}, the data
 * ends at the closing delimiter at the end of the body, so bytes that happen to contain the
 * boundary do not cut it short.
 */
export async function streamMultipartRelated(contentType: string, body: AsyncIterable<Buffer>): Promise<StreamedMultipart> {
  const boundary = multipartBoundary(contentType);
  const open = Buffer.from(`--${boundary}\r\n`);
  const between = Buffer.from(`\r\n--${boundary}\r\n`);
  const close = Buffer.from(`\r\n--${boundary}--`);
  const chunks = body[Symbol.asyncIterator]();

  let head = Buffer.alloc(0);
  let firstEnd = -1;
  let headersEnd = -1;
  while (headersEnd < 0) {
    if (head.length > HEAD_LIMIT_BYTES) throw new UploadRequestError('The multipart body has no data part within its first MiB.');
    const next = await chunks.next();
    if (next.done) throw new UploadRequestError('The multipart body must have exactly two parts: metadata, then data.');
    head = Buffer.concat([head, next.value]);
    if (head.length >= open.length && !head.subarray(0, open.length).equals(open)) throw new UploadRequestError('The multipart body does not start with its boundary.');
    if (firstEnd < 0) firstEnd = head.indexOf(between, open.length);
    // The data part's headers end at an empty line; a part without headers has it right after the delimiter.
    if (firstEnd >= 0) headersEnd = head.indexOf('\r\n\r\n', firstEnd + between.length - 2);
  }
  const metadata = parseUploadMetadata(splitPart(head.subarray(open.length, firstEnd)).content.toString('utf8'));
  const dataStart = headersEnd + 4;
  const dataContentType = headersEnd >= firstEnd + between.length ? splitPart(head.subarray(firstEnd + between.length, dataStart)).contentType : null;

  const keep = close.length + TAIL_SLACK_BYTES;
  async function* data(): AsyncGenerator<Buffer> {
    let pending = head.subarray(dataStart);
    for (;;) {
      if (pending.length > keep) {
        yield pending.subarray(0, pending.length - keep);
        pending = pending.subarray(pending.length - keep);
      }
      const next = await chunks.next();
      if (next.done) break;
      pending = Buffer.concat([pending, next.value]);
    }
    const end = pending.lastIndexOf(close);
    if (end < 0 || pending.subarray(end + close.length).toString('latin1').trim() !== '') {
      throw new UploadRequestError('The multipart body ends without its closing delimiter: the upload was cut off.');
    }
    if (end > 0) yield pending.subarray(0, end);
  }
  return { metadata, dataContentType, data: data() };
}
