/** Exit statuses of `npm run generate`. */
export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

/** A failure the CLI explains in one message and ends with `exitCode`. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(message: string, readonly exitCode: number = EXIT.failed, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Thrown where the user pressed Ctrl-C while the CLI waited on something. */
export class Interrupted extends Error {
  override readonly name = 'Interrupted';
  constructor() {
    super('Interrupted');
  }
}

const NOT_RUNNING_HINT = 'is npm start running?';

/** Whether an error (or one of its causes) is a refused or reset TCP connection. */
function isConnectionFailure(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Object && depth < 5; current = (current as { cause?: unknown }).cause, depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'EHOSTUNREACH') return true;
  }
  return false;
}

/**
 * Turns what the Firebase web SDK (or fetch) threw into a message a person can act on. `local` says
 * whether the target is the local stack, where a network failure means the stack is not running.
 */
export function explainError(error: unknown, local: boolean): CliError {
  if (error instanceof CliError) return error;
  const code = typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : '';
  const message = error instanceof Error ? error.message.replace(/^Firebase(?: Storage)?: /, '').replace(/\s*\((?:auth|storage)\/[a-z-]+\)\.?$/, '') : String(error);
  const unreachable = (localPart: string, service: string) =>
    new CliError(local ? `Could not reach the ${localPart} of the local stack: ${NOT_RUNNING_HINT}` : `Could not reach ${service} (${code || message}): check the network connection.`, EXIT.failed, { cause: error });
  switch (code) {
    case 'functions/invalid-argument':
      return new CliError(`The request was refused (invalid-argument): ${message}`);
    case 'functions/resource-exhausted':
      return new CliError(`Too many videos in progress (resource-exhausted): ${message}`);
    case 'functions/unauthenticated':
      if (/app check/i.test(message) && !local) {
        return new CliError(`The request was refused (unauthenticated): ${message} Pass --app-check-debug-token with a debug token registered for this web app (docs/deploy.md, App Check).`);
      }
      return new CliError(`The request was refused (unauthenticated): ${message}`);
    case 'functions/failed-precondition':
    case 'functions/permission-denied':
      return new CliError(`The request was refused (${code.slice('functions/'.length)}): ${message}`);
    case 'functions/not-found':
      return new CliError(`The createVideoJob function was not found: ${local ? 'is the local stack built (npm run build)?' : 'is it deployed to this project?'}`);
    case 'functions/internal':
      // What the SDK reports both for a call that reached nothing and for a function that crashed.
      return new CliError(`The call failed (internal: ${message})${local ? ': is npm start running? If it is, the functions log is in .stack/logs/' : ''}`, EXIT.failed, { cause: error });
    case 'functions/unavailable':
    case 'functions/deadline-exceeded':
      return local ? unreachable('Functions emulator', 'Cloud Functions') : new CliError(`The call failed (${code.slice('functions/'.length)}): ${message}`);
    case 'auth/network-request-failed':
      return unreachable('Auth emulator', 'Firebase Authentication');
    case 'auth/operation-not-allowed':
    case 'auth/admin-restricted-operation':
      return new CliError('Anonymous sign-in is not enabled for this project: enable it in the Firebase console under Authentication > Sign-in method.');
    case 'storage/unauthorized':
      return new CliError('The Storage rules refused the image: it must be a png, jpeg or webp image under 10 MiB.');
    case 'storage/retry-limit-exceeded':
    case 'storage/unknown':
      return local ? unreachable('object store', 'Cloud Storage') : new CliError(`The image upload failed: ${message}`);
    default:
      if (isConnectionFailure(error)) return unreachable('services', 'the service');
      return new CliError(message || 'An unexpected error occurred.', EXIT.failed, { cause: error });
  }
}
