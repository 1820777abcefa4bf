import { Status } from 'google-gax';

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
 * Over gRPC (production) the client's messages read like that already; over the REST fallback (a
 * local server) google-gax gives the same code with Google's message alone, so name the code there too.
 */
export function apiError(error: unknown): { code?: number; message: string } {
  const raw = (error as { code?: unknown } | null)?.code;
  const code = typeof raw === 'number' && raw >= 0 && raw <= 16 ? raw : undefined;
  const message = error instanceof Error ? error.message : String(error);
  if (code === undefined || /^\d+ [A-Z_]+: /.test(message)) return { code, message };
  return { code, message: `${code} ${Status[code]}: ${message}` };
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
