import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiError, notFound, policyJson, toRestFields, type FakeProject, type Json, type Policy } from './google-apis-state';

/** One request the server answered. */
export interface RequestRecord {
  method: string;
  /** The API ("firestore"): the first segment of the path. */
  api: string;
  /** The rest of the path, as sent. */
  path: string;
}

type Handler = (match: string[], query: URLSearchParams, body: Json) => Json;
type Method = 'GET' | 'POST' | 'PATCH';

const ID = '([^/]+)';

/**
 * A local stand-in for the read side of the Google APIs the doctor calls, speaking their REST (v1/v2
 * paths, JSON field names, Google's JSON errors, policy version 3) over one project's state, which a
 * test edits directly. Every API sits under /{api}/ (https://{api}.googleapis.com/x becomes
 * {url}/{api}/x). It answers GET, and POST only for the methods Google defines as POST that change
 * nothing (getIamPolicy); everything else is 404, and every request is recorded, so a test can prove
 * the doctor read only. GET of a path in `state.health` answers that status: workers' /health.
 * Checks the bearer token; `state.failures` makes every call to one API fail. Listens on 127.0.0.1 only.
 */
export class GoogleApisServer {
  readonly requests: RequestRecord[] = [];
  private readonly routes: { method: Method; api: string; pattern: RegExp; handler: Handler }[] = [];

  private constructor(private readonly server: Server, readonly state: FakeProject, readonly accessToken: string) {
    const p = state.projectId;
    const docs = `v1/projects/${p}/databases/\\(default\\)/documents`;
    this.route('GET', 'cloudresourcemanager', `v1/projects/${ID}`, ([id]) => this.project(id));
    this.route('POST', 'cloudresourcemanager', `v1/projects/${ID}:getIamPolicy`, ([id], _q, body) => {
      this.project(id);
      return policyJson(state.projectPolicy, Number((body.options as Json | undefined)?.requestedPolicyVersion ?? 0));
    });
    this.route('GET', 'serviceusage', `v1/projects/${ID}/services:batchGet`, ([parent], query) => this.batchGet(parent ?? '', query.getAll('names')));
    this.route('GET', 'cloudfunctions', `v2/projects/${p}/locations/${ID}/functions`, ([location], query) => this.listFunctions(location ?? '', query));
    this.route('GET', 'run', `v2/projects/${p}/locations/${ID}/services/${ID}:getIamPolicy`, ([location, service], query) =>
      policyJson(this.found(state.runServices.get(service ?? ''), `Resource 'projects/${p}/locations/${location}/services/${service}' was not found`), version(query)));
    this.route('GET', 'secretmanager', `v1/projects/${p}/secrets/${ID}:getIamPolicy`, ([name], query) => policyJson(this.secret(name).policy, version(query)));
    this.route('GET', 'secretmanager', `v1/projects/${p}/secrets/${ID}/versions/latest`, ([name]) => this.latestVersion(name ?? ''));
    this.route('GET', 'secretmanager', `v1/projects/${p}/secrets/${ID}`, ([name]) => {
      this.secret(name);
      return { name: `projects/${state.projectNumber}/secrets/${name}`, replication: { automatic: {} }, createTime: '2026-01-01T00:00:00Z', etag: '"1"' };
    });
    this.route('GET', 'firestore', `v1/projects/${p}/databases/\\(default\\)/collectionGroups/-/indexes`, () => this.listIndexes());
    const field = `v1/projects/${p}/databases/\\(default\\)/collectionGroups/${ID}/fields/${ID}`;
    this.route('GET', 'firestore', field, ([group, name]) => this.field(group ?? '', name ?? ''));
    this.route('PATCH', 'firestore', field, ([group, name], query, body) => {
      if (query.get('updateMask') !== 'ttlConfig' || typeof body.ttlConfig !== 'object') throw new ApiError(400, 'INVALID_ARGUMENT', 'This server changes only ttlConfig (updateMask=ttlConfig).');
      state.ttls.set(`${group}/${name}`, 'CREATING');
      return { name: `projects/${p}/databases/(default)/operations/S2Vlc${state.ttls.size}`, metadata: { '@type': 'type.googleapis.com/google.firestore.admin.v1.FieldOperationMetadata', field: this.field(group ?? '', name ?? '').name } };
    });
    this.route('GET', 'firestore', `${docs}/(.+)`, ([path], query) => this.documents(path ?? '', query));
    this.route('GET', 'firebaserules', `v1/projects/${p}/releases/(.+)`, ([release]) => {
      const found = this.found(state.releases.get(release ?? ''), `Release 'projects/${p}/releases/${release}' not found`);
      return { name: `projects/${p}/releases/${release}`, rulesetName: `projects/${p}/rulesets/${rulesetId(release ?? '', found.content)}`, createTime: '2026-01-01T00:00:00Z', updateTime: '2026-01-02T00:00:00Z' };
    });
    this.route('GET', 'firebaserules', `v1/projects/${p}/rulesets/${ID}`, ([id]) => {
      const release = [...state.releases.entries()].find(([name, ruleset]) => rulesetId(name, ruleset.content) === id);
      const ruleset = this.found(release?.[1], `Ruleset 'projects/${p}/rulesets/${id}' not found`);
      return { name: `projects/${p}/rulesets/${id}`, source: { files: [{ content: ruleset.content, name: ruleset.file, fingerprint: 'AAAA' }] }, createTime: '2026-01-01T00:00:00Z' };
    });
    this.route('GET', 'storage', `storage/v1/b/${ID}/iam`, ([bucket], query) => ({
      kind: 'storage#policy',
      resourceId: `projects/_/buckets/${bucket}`,
      ...policyJson(this.bucket(bucket).policy, Number(query.get('optionsRequestedPolicyVersion') ?? 0)),
    }));
    this.route('GET', 'storage', `storage/v1/b/${ID}`, ([name]) => this.bucketJson(name));
    this.route('PATCH', 'storage', `storage/v1/b/${ID}`, ([name], _query, body) => {
      const bucket = this.bucket(name);
      const rules = (body.lifecycle as { rule?: unknown } | undefined)?.rule;
      if (!Array.isArray(rules)) throw new ApiError(400, 'invalid', 'This server changes only lifecycle.rule.', true);
      bucket.lifecycle = rules as Json[];
      return this.bucketJson(name);
    });
    this.route('POST', 'iam', `v1/projects/${p}/serviceAccounts/${ID}:getIamPolicy`, ([email], query) => policyJson(this.account(email).policy, version(query)));
    this.route('GET', 'iam', `v1/projects/${p}/serviceAccounts/${ID}`, ([email]) => {
      const account = this.account(email);
      return { name: `projects/${p}/serviceAccounts/${email}`, projectId: p, uniqueId: '1234567890', email, etag: 'MDEwMjE5MjA=', ...(account.disabled ? { disabled: true } : {}) };
    });
  }

  /** Starts a server on 127.0.0.1 on a free port, serving `state`. */
  static async start(state: FakeProject, options: { accessToken?: string } = {}): Promise<GoogleApisServer> {
    const server = createServer();
    const apis = new GoogleApisServer(server, state, options.accessToken ?? 'local-doctor-token');
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void apis.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    return apis;
  }

  /** The origin to give the doctor, e.g. http://127.0.0.1:40123. */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Requests that could change something: anything but GET and the getIamPolicy POSTs (the PATCHes `npm run retention` sends). */
  mutating(): RequestRecord[] {
    return this.requests.filter((r) => !(r.method === 'GET' || (r.method === 'POST' && r.path.endsWith(':getIamPolicy'))));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private route(method: Method, api: string, pattern: string, handler: Handler): void {
    this.routes.push({ method, api, pattern: new RegExp(`^/${api}/${pattern}$`), handler });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const [, api = '', ...rest] = url.pathname.split('/');
    this.requests.push({ method: req.method ?? '', api, path: rest.join('/') });
    const health = this.state.health.get(url.pathname);
    if (health !== undefined && req.method === 'GET') return send(res, health, { status: health < 300 ? 'ok' : 'draining' });
    const storage = api === 'storage';
    try {
      if (req.headers.authorization !== `Bearer ${this.accessToken}`) {
        throw new ApiError(401, storage ? 'required' : 'UNAUTHENTICATED', 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.', storage);
      }
      const failure = this.state.failures.get(api);
      if (failure) throw failure;
      const body = await readJson(req);
      const path = decodeURIComponent(url.pathname);
      for (const route of this.routes) {
        const match = req.method === route.method ? route.pattern.exec(path) : null;
        if (match) return send(res, 200, route.handler(match.slice(1), url.searchParams, body));
      }
      throw new ApiError(404, 'NOT_FOUND', `${req.method} ${url.pathname} is not a method this server speaks`);
    } catch (error) {
      const apiError = error instanceof ApiError ? error : new ApiError(500, 'INTERNAL', error instanceof Error ? error.message : String(error));
      const answer = storage && !apiError.storage ? new ApiError(apiError.httpStatus, apiError.httpStatus === 404 ? 'notFound' : apiError.status, apiError.message, true) : apiError;
      send(res, answer.httpStatus, answer.toJSON());
    }
  }

  private found<T>(value: T | undefined, message: string): T {
    if (value === undefined) throw notFound(message);
    return value;
  }

  private project(id: string | undefined): Json {
    // Resource Manager answers 403 for projects that do not exist, as for those the caller may not see.
    if (id !== this.state.projectId) throw new ApiError(403, 'PERMISSION_DENIED', `The caller does not have permission`);
    return { projectNumber: this.state.projectNumber, projectId: id, lifecycleState: this.state.lifecycleState, name: id, createTime: '2026-01-01T00:00:00.000Z' };
  }

  private batchGet(parent: string, names: string[]): Json {
    if (parent !== this.state.projectNumber && parent !== this.state.projectId) throw new ApiError(403, 'PERMISSION_DENIED', 'Permission denied to get service');
    if (names.length > 30) throw new ApiError(400, 'INVALID_ARGUMENT', 'A single request can get a maximum of 30 services at a time.');
    return {
      services: names.map((name) => {
        const service = name.split('/').pop() ?? '';
        return { name: `projects/${this.state.projectNumber}/services/${service}`, config: { name: service, title: service }, state: this.state.enabledApis.has(service) ? 'ENABLED' : 'DISABLED', parent: `projects/${this.state.projectNumber}` };
      }),
    };
  }

  private listFunctions(location: string, query: URLSearchParams): Json {
    const all = this.state.functions.filter((fn) => String(fn.name).includes(`/locations/${location}/`));
    return page(all, query, 'functions');
  }

  private secret(name: string | undefined): { versions: string[]; policy: Policy } {
    return this.found(this.state.secrets.get(name ?? ''), `Secret [projects/${this.state.projectNumber}/secrets/${name}] not found or has no versions.`);
  }

  private latestVersion(name: string): Json {
    const { versions } = this.secret(name);
    if (versions.length === 0) throw notFound(`Secret Version [projects/${this.state.projectNumber}/secrets/${name}/versions/latest] not found.`);
    const state = versions[versions.length - 1];
    return { name: `projects/${this.state.projectNumber}/secrets/${name}/versions/${versions.length}`, createTime: '2026-01-01T00:00:00Z', state, etag: '"1"' };
  }

  private listIndexes(): Json {
    return {
      indexes: this.state.indexes.map((index, i) => {
        const fields = [...index.fields];
        const last = fields[fields.length - 1];
        // Firestore appends __name__, in the direction of the last field.
        fields.push({ fieldPath: '__name__', order: typeof last?.order === 'string' ? last.order : 'ASCENDING' });
        return { name: `projects/${this.state.projectId}/databases/(default)/collectionGroups/${index.collectionGroup}/indexes/CICAgJim14AK${i}`, queryScope: index.queryScope, fields, state: index.state, density: 'SPARSE_ALL' };
      }),
    };
  }

  private documents(path: string, query: URLSearchParams): Json {
    const segments = path.split('/');
    const name = (docPath: string): string => `projects/${this.state.projectId}/databases/(default)/documents/${docPath}`;
    const document = (docPath: string, data: Json): Json => ({ name: name(docPath), fields: toRestFields(data), createTime: '2026-01-01T00:00:00.000000Z', updateTime: '2026-01-01T00:00:00.000000Z' });
    if (segments.length % 2 === 0) {
      const data = this.found(this.state.documents.get(path), `Document "${name(path)}" not found.`);
      return document(path, data);
    }
    const children = [...this.state.documents.entries()].filter(([docPath]) => docPath.startsWith(`${path}/`) && docPath.split('/').length === segments.length + 1);
    return page(children.map(([docPath, data]) => document(docPath, data)), query, 'documents');
  }

  private bucket(name: string | undefined): { uniformAccess: boolean; policy: Policy; lifecycle?: Json[] } {
    const bucket = this.state.buckets.get(name ?? '');
    if (!bucket) throw new ApiError(404, 'notFound', 'The specified bucket does not exist.', true);
    return bucket;
  }

  /** A bucket as the JSON API returns it; `lifecycle` only when it has rules, as Cloud Storage leaves it out. */
  private bucketJson(name: string | undefined): Json {
    const bucket = this.bucket(name);
    const ubla = { enabled: bucket.uniformAccess, ...(bucket.uniformAccess ? { lockedTime: '2026-04-01T00:00:00Z' } : {}) };
    return {
      kind: 'storage#bucket', id: name, name, location: 'US-CENTRAL1', storageClass: 'STANDARD', iamConfiguration: { bucketPolicyOnly: ubla, uniformBucketLevelAccess: ubla },
      ...(bucket.lifecycle?.length ? { lifecycle: { rule: bucket.lifecycle } } : {}),
    };
  }

  /** A Firestore field's configuration: `ttlConfig` only where a TTL policy was set, as the Admin API leaves it out. */
  private field(group: string, name: string): Json {
    const ttl = this.state.ttls.get(`${group}/${name}`);
    return {
      name: `projects/${this.state.projectId}/databases/(default)/collectionGroups/${group}/fields/${name}`,
      indexConfig: { usesAncestorConfig: true, ancestorField: `projects/${this.state.projectId}/databases/(default)/collectionGroups/__default__/fields/*` },
      ...(ttl ? { ttlConfig: { state: ttl } } : {}),
    };
  }

  private account(email: string | undefined): { disabled: boolean; policy: Policy } {
    return this.found(this.state.serviceAccounts.get(email ?? ''), `Unknown service account`);
  }
}

const version = (query: URLSearchParams): number => Number(query.get('options.requestedPolicyVersion') ?? 0);

/** A stable ruleset id per release and content, as a real ruleset's id names its content. */
function rulesetId(release: string, content: string): string {
  let hash = 0;
  for (const char of `${release}\n${content}`) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return `ruleset-${hash.toString(16)}`;
}

/** A page of `items` under `key`, with pageSize and pageToken as Google's list methods take them. */
function page(items: Json[], query: URLSearchParams, key: string): Json {
  const size = Math.max(1, Math.min(Number(query.get('pageSize') ?? 100) || 100, 300));
  const start = Number(query.get('pageToken') ? Buffer.from(query.get('pageToken') ?? '', 'base64url').toString() : 0);
  const slice = items.slice(start, start + size);
  const next = start + slice.length < items.length ? { nextPageToken: Buffer.from(String(start + slice.length)).toString('base64url') } : {};
  return { ...(slice.length > 0 ? { [key]: slice } : {}), ...next };
}

async function readJson(req: IncomingMessage): Promise<Json> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text.trim()) return {};
  const parsed = JSON.parse(text) as unknown;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ApiError(400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.');
  return parsed as Json;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=UTF-8', 'Content-Length': Buffer.byteLength(text), Date: new Date().toUTCString() });
  res.end(text);
}
