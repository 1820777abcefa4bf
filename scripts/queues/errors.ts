import { GoogleError, Status } from 'google-gax';

/** Exit codes of `npm run queues`. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** Bad flags or arguments: exit 2 with the message. */
export class UsageError extends Error {
  readonly code = 'usage';
}

/** gRPC status codes the queue commands tell apart (google-gax's Status enum). */
export const GRPC = { ALREADY_EXISTS: Status.ALREADY_EXISTS, NOT_FOUND: Status.NOT_FOUND } as const;

/**
 * An error from the client as gRPC reports it: a gRPC status code and "7 PERMISSION_DENIED: why".
 * Over gRPC (production) the client's errors are like that already. Over the REST fallback (a local
 * server), google-gax 5.0.8 hands on gaxios' error as it is: the HTTP status as `code` and Google's
 * JSON error body as the message (googleapis/google-cloud-node#9346, not in a release yet), so parse
 * that body as gax itself would.
 */
export function apiError(error: unknown): { code?: number; message: string } {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  let body: unknown;
  try {
    body = JSON.parse(message);
  } catch {
    body = undefined;
  }
  if (typeof body === 'object' && body !== null && 'error' in body) {
    const parsed = GoogleError.parseHttpError(body);
    const name = parsed.code === undefined ? undefined : Status[parsed.code];
    return { code: parsed.code, message: `${parsed.code ?? ''} ${name ?? ''}: ${parsed.message}`.trim() };
  }
  return { code: typeof code === 'number' && code >= 0 && code <= 16 ? code : undefined, message };
}

/** The gRPC status code of an error from the client, when it has one. */
export function grpcCode(error: unknown): number | undefined {
  return apiError(error).code;
}

/** Something wrong with one queue; the message starts with the queue's id. */
export class QueueError extends Error {
  readonly code: string = 'queue';
  constructor(readonly queue: string, message: string, options?: { cause: unknown }) {
    super(`${queue}: ${message}`, options);
  }
}

/** A Cloud Tasks call that failed for one queue: names the queue, the call and the API's error. */
export class QueueApiError extends QueueError {
  override readonly code = 'queue-api';
  constructor(queue: string, call: string, cause: unknown) {
    super(queue, `${call} failed: ${apiError(cause).message}`, { cause });
  }
}
