/** An error answer of RunPod's REST API v2: an RFC 9457 problem, with extra headers. */
export class RunpodHttpError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly errors?: string[],
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
    this.name = 'RunpodHttpError';
  }

  get body(): Record<string, unknown> {
    return { title: this.title, status: this.status, detail: this.detail, ...(this.errors ? { errors: this.errors } : {}) };
  }
}

/** The detail RunPod gives when it cannot place a GPU type (its create carries no machine-readable code for it). */
export const NO_INSTANCES_DETAIL = 'There are no longer any instances available with the requested specifications. Please refresh and try again.';
/** The detail for a stopped pod whose host no longer has a free GPU for it. */
export const HOST_HAS_NO_GPU_DETAIL = 'There are not enough free GPUs on the host machine to start this pod.';

export const unauthorized = (present: boolean): RunpodHttpError =>
  new RunpodHttpError(401, 'Unauthorized', present ? 'invalid bearer token' : 'missing bearer token', undefined, { 'www-authenticate': 'Bearer' });
export const notFound = (what = 'resource'): RunpodHttpError => new RunpodHttpError(404, 'Not Found', `${what} not found`);
export const badRequest = (detail: string): RunpodHttpError => new RunpodHttpError(400, 'Bad Request', detail);
export const noCapacity = (detail = NO_INSTANCES_DETAIL): RunpodHttpError => badRequest(detail);
export const conflict = (detail: string): RunpodHttpError => new RunpodHttpError(409, 'Conflict', detail);
export const unprocessable = (errors: string[]): RunpodHttpError => new RunpodHttpError(422, 'Unprocessable Entity', 'Request validation failed.', errors);
export const tooManyRequests = (retryAfterSeconds: number): RunpodHttpError =>
  new RunpodHttpError(429, 'Too Many Requests', 'rate limit exceeded for the minute window', undefined, { 'retry-after': String(retryAfterSeconds) });
export const serverError = (status: number): RunpodHttpError =>
  new RunpodHttpError(status, status === 503 ? 'Service Unavailable' : status === 502 ? 'Bad Gateway' : 'Internal Server Error', 'upstream request failed');
