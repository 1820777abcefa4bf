/**
 * The JSON mapping of Cloud Tasks v2 resources as the REST API speaks it (proto3 JSON: camelCase
 * fields, durations as "3600s", timestamps as RFC 3339, enums as names, or as numbers when the
 * request asks for `$alt=json;enum-encoding=int`, as google-gax's REST fallback always does), and
 * Google's JSON error shape.
 */

export type Json = Record<string, unknown>;

/** A JSON value as text, for a message or a parse: a string as it is, anything else as JSON. */
export function jsonText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Enum values of google.cloud.tasks.v2 (protos.json). */
export const ENUMS = {
  queueState: ['STATE_UNSPECIFIED', 'RUNNING', 'PAUSED', 'DISABLED'],
  httpMethod: ['HTTP_METHOD_UNSPECIFIED', 'POST', 'GET', 'HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'],
  taskView: ['VIEW_UNSPECIFIED', 'BASIC', 'FULL'],
} as const;

/** google.rpc.Code by name, with the HTTP status Google's REST front end answers it with. */
export const STATUS = {
  INVALID_ARGUMENT: { code: 3, http: 400 },
  UNAUTHENTICATED: { code: 16, http: 401 },
  PERMISSION_DENIED: { code: 7, http: 403 },
  NOT_FOUND: { code: 5, http: 404 },
  ALREADY_EXISTS: { code: 6, http: 409 },
  FAILED_PRECONDITION: { code: 9, http: 400 },
  RESOURCE_EXHAUSTED: { code: 8, http: 429 },
  INTERNAL: { code: 13, http: 500 },
  UNAVAILABLE: { code: 14, http: 503 },
} as const;
export type StatusName = keyof typeof STATUS;

/** An error the server answers in Google's shape: {"error": {"code": 404, "message": "...", "status": "NOT_FOUND"}}. */
export class ApiError extends Error {
  constructor(readonly status: StatusName, message: string) {
    super(message);
  }

  get httpStatus(): number {
    return STATUS[this.status].http;
  }

  toJSON(): Json {
    return { error: { code: this.httpStatus, message: this.message, status: this.status } };
  }
}

export const invalid = (message: string): ApiError => new ApiError('INVALID_ARGUMENT', message);

/** An enum's name from a name or a number, as a request may carry either. */
export function enumName(values: readonly string[], value: unknown, field: string): string {
  if (typeof value === 'number' && values[value] !== undefined) return values[value];
  if (typeof value === 'string' && values.includes(value)) return value;
  throw invalid(`Invalid value at '${field}' (${String(value)})`);
}

/** Nanoseconds from a JSON duration: "3600s", "0.100s", "1.5s". */
export function parseDuration(value: unknown, field: string): bigint {
  const match = typeof value === 'string' ? /^(-?)(\d+)(?:\.(\d{1,9}))?s$/.exec(value) : null;
  if (!match) throw invalid(`Invalid value at '${field}' (type.googleapis.com/google.protobuf.Duration), Field '${field}', Illegal duration format; duration must end with 's'`);
  const nanos = BigInt(match[2] ?? '0') * 1_000_000_000n + BigInt((match[3] ?? '').padEnd(9, '0'));
  return match[1] ? -nanos : nanos;
}

/** A duration as proto3 JSON writes it: 0, 3, 6 or 9 fractional digits ("0.100s", "15s"). */
export function formatDuration(nanos: bigint): string {
  const sign = nanos < 0n ? '-' : '';
  const abs = nanos < 0n ? -nanos : nanos;
  const seconds = abs / 1_000_000_000n;
  let fraction = (abs % 1_000_000_000n).toString().padStart(9, '0');
  if (fraction === '000000000') return `${sign}${seconds}s`;
  while (fraction.endsWith('000')) fraction = fraction.slice(0, -3);
  return `${sign}${seconds}.${fraction}s`;
}

/** Converts the enums of a stored resource (held as names) to numbers for `enum-encoding=int`. */
export function withNumericEnums(value: unknown, numeric: boolean): unknown {
  if (!numeric) return value;
  const walk = (node: unknown, key?: string): unknown => {
    if (Array.isArray(node)) return node.map((item) => walk(item));
    if (node && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v, k)]));
    if (typeof node !== 'string' || key === undefined) return node;
    const table = key === 'state' ? ENUMS.queueState : key === 'httpMethod' ? ENUMS.httpMethod : key === 'view' ? ENUMS.taskView : undefined;
    return table ? table.indexOf(node as never) : node;
  };
  return walk(value);
}

/** "rate_limits.max_burst_size" -> "rateLimits.maxBurstSize": Google's REST front end takes either in an update mask. */
export function camelPath(path: string): string {
  return path.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
