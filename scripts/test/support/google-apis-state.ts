/**
 * The state of one Google Cloud project as the local Google APIs server (google-apis-server.ts)
 * serves it, and its resources in the shapes the REST APIs give them.
 */

export type Json = Record<string, unknown>;

export interface Binding {
  role: string;
  members: string[];
  condition?: { title?: string; expression: string };
}

export interface Policy {
  version?: number;
  etag?: string;
  bindings?: Binding[];
}

export interface FakeProject {
  projectId: string;
  projectNumber: string;
  lifecycleState: string;
  /** Service names (cloudtasks.googleapis.com) that are enabled. */
  enabledApis: Set<string>;
  projectPolicy: Policy;
  /** Cloud Functions v2 resources, as the API returns them. */
  functions: Json[];
  /** Cloud Run services by id, with their IAM policies. */
  runServices: Map<string, Policy>;
  /** Secrets by name: the states of their versions (oldest first) and their IAM policies. */
  secrets: Map<string, { versions: string[]; policy: Policy }>;
  /** Firestore composite indexes: collection group, query scope, fields as firestore.indexes.json writes them, state. */
  indexes: { collectionGroup: string; queryScope: string; fields: Json[]; state: string }[];
  /** Rules releases ("cloud.firestore", "firebase.storage/BUCKET") to the text of their ruleset's one file. */
  releases: Map<string, { file: string; content: string }>;
  /** Buckets by name: uniform access, IAM policy, and lifecycle rules (the JSON API's `lifecycle.rule`). */
  buckets: Map<string, { uniformAccess: boolean; policy: Policy; lifecycle?: Json[] }>;
  /** Firestore TTL policies by "collectionGroup/field", with their state (ACTIVE, CREATING, NEEDS_REPAIR). */
  ttls: Map<string, string>;
  serviceAccounts: Map<string, { disabled: boolean; policy: Policy }>;
  /** Firestore documents by path ("workers/w1"), as plain data (Dates for timestamps). */
  documents: Map<string, Json>;
  /** HTTP status the server answers for GET of these paths (workers' /health). */
  health: Map<string, number>;
  /** APIs ("secretmanager") whose every call answers this error instead. */
  failures: Map<string, ApiError>;
}

/** A Cloud Functions v2 function as firebase deploy leaves it. */
export function cloudFunction(project: string, location: string, id: string, options: { runtime: string; account: string; env?: Record<string, string> }): Json {
  const service = id.toLowerCase();
  return {
    name: `projects/${project}/locations/${location}/functions/${id}`,
    buildConfig: { runtime: options.runtime, entryPoint: id, source: { storageSource: { bucket: `gcf-v2-sources-${project}`, object: `${id}/function-source.zip` } } },
    serviceConfig: {
      service: `projects/${project}/locations/${location}/services/${service}`,
      serviceAccountEmail: options.account,
      uri: `https://${service}-abc123-uc.a.run.app`,
      environmentVariables: { FIREBASE_CONFIG: '{}', ...(options.env ?? {}) },
      timeoutSeconds: 60,
      availableMemory: '256Mi',
    },
    state: 'ACTIVE',
    updateTime: '2026-01-01T00:00:00.000000000Z',
    labels: { 'deployment-tool': 'cli-firebase' },
    environment: 'GEN_2',
    url: `https://${location}-${project}.cloudfunctions.net/${id}`,
  };
}

/** A JS value as a Firestore REST Value: integers as strings, Dates as timestamps, maps and arrays nested. */
export function toRestValue(value: unknown): Json {
  if (value === null || value === undefined) return { nullValue: null };
  if (value instanceof Date) return { timestampValue: value.toISOString() };
  if (typeof value === 'boolean') return { booleanValue: value };
  if (typeof value === 'number') return Number.isInteger(value) ? { integerValue: String(value) } : { doubleValue: value };
  if (typeof value === 'string') return { stringValue: value };
  if (Array.isArray(value)) return { arrayValue: value.length > 0 ? { values: value.map(toRestValue) } : {} };
  if (typeof value === 'object') return { mapValue: { fields: toRestFields(value as Json) } };
  throw new Error(`no Firestore value for ${typeof value}`);
}

export function toRestFields(data: Json): Json {
  return Object.fromEntries(Object.entries(data).map(([key, value]) => [key, toRestValue(value)]));
}

/** Google's JSON error; the Storage JSON API's carries `errors[].reason` instead of `status`. */
export class ApiError extends Error {
  constructor(readonly httpStatus: number, readonly status: string, message: string, readonly storage = false, readonly details?: Json[]) {
    super(message);
  }

  toJSON(): Json {
    if (this.storage) return { error: { code: this.httpStatus, message: this.message, errors: [{ message: this.message, domain: 'global', reason: this.status }] } };
    return { error: { code: this.httpStatus, message: this.message, status: this.status, ...(this.details ? { details: this.details } : {}) } };
  }
}

/** The 403 an API answers when it is not enabled in the project, with its google.rpc.ErrorInfo. */
export function serviceDisabled(service: string, title: string, projectNumber: string): ApiError {
  return new ApiError(403, 'PERMISSION_DENIED',
    `${title} has not been used in project ${projectNumber} before or it is disabled. Enable it by visiting https://console.developers.google.com/apis/api/${service}/overview?project=${projectNumber} then retry.`,
    false,
    [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'SERVICE_DISABLED', domain: 'googleapis.com', metadata: { service, consumer: `projects/${projectNumber}` } }]);
}

export const notFound = (message: string): ApiError => new ApiError(404, 'NOT_FOUND', message);

/** A policy as the IAM APIs answer it: version 3 when a binding has a condition, an etag, no empty bindings. */
export function policyJson(policy: Policy, requestedVersion: number): Json {
  const bindings = (policy.bindings ?? []).filter((binding) => binding.members.length > 0);
  const conditional = bindings.some((binding) => binding.condition);
  if (conditional && requestedVersion < 3) {
    throw new ApiError(400, 'INVALID_ARGUMENT', 'Request contains an invalid argument: the policy has conditions; request policy version 3');
  }
  return { version: conditional ? 3 : 1, etag: 'BwYAAAAAAAA=', ...(bindings.length > 0 ? { bindings: structuredClone(bindings) } : {}) };
}
