/** An error answer of the Replicate API: status, JSON body and extra headers. */
export class ReplicateHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(typeof body.detail === 'string' ? body.detail : `HTTP ${status}`);
    this.name = 'ReplicateHttpError';
  }
}

/** 401 for a missing or unknown token. */
export function unauthenticated(present: boolean): ReplicateHttpError {
  return new ReplicateHttpError(401, { detail: present ? 'Invalid token.' : 'Authentication credentials were not provided.' }, { 'www-authenticate': 'Bearer' });
}

/** 429 with Retry-After, as Replicate throttles. */
export function throttled(): ReplicateHttpError {
  return new ReplicateHttpError(429, { detail: 'Request was throttled. Expected available in 1 second.', status: 429 }, { 'retry-after': '1' });
}

/** 404 for an unknown prediction, file or model. */
export function notFound(): ReplicateHttpError {
  return new ReplicateHttpError(404, { detail: 'Not found.' });
}

/** 422 for a version the account cannot use. */
export function invalidVersion(): ReplicateHttpError {
  return new ReplicateHttpError(422, {
    title: 'Invalid version or not permitted',
    detail: "The specified version does not exist (or perhaps you don't have permission to use it?)",
    status: 422,
  });
}

/** A field problem, as zod reports it. */
export interface FieldIssue {
  code: string;
  path: PropertyKey[];
  message: string;
}

/** 422 listing each invalid field, as Replicate reports input validation. */
export function validationFailed(issues: readonly FieldIssue[], prefix: string): ReplicateHttpError {
  const fields = issues.map((issue) => ({ type: issue.code, field: [prefix, ...issue.path.map(String)].filter(Boolean).join('.'), description: issue.message }));
  return new ReplicateHttpError(422, {
    title: 'Input validation failed',
    detail: fields.map((field) => `- ${field.field}: ${field.description}\n`).join(''),
    status: 422,
    invalid_fields: fields,
  });
}

/** 422 for a webhook this simulator will not call (anything but loopback). */
export function webhookRefused(url: string): ReplicateHttpError {
  return new ReplicateHttpError(422, {
    title: 'Invalid webhook URL',
    detail: `webhook ${url}: the Replicate simulator only delivers webhooks to 127.0.0.1 / localhost URLs`,
    status: 422,
  });
}

/** 400 for a body that is not JSON. */
export function malformedBody(message: string): ReplicateHttpError {
  return new ReplicateHttpError(400, { detail: `JSON parse error - ${message}` });
}

/** 500, as a scripted server error. */
export function serverError(message?: string): ReplicateHttpError {
  return new ReplicateHttpError(500, { title: 'Internal Server Error', detail: message ?? 'Internal Server Error', status: 500 });
}
