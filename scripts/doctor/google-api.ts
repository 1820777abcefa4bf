import { googleAuthLibrary } from 'google-gax';

/** The Google APIs the doctor reads, by host name (`https://{api}.googleapis.com`). */
export type ApiName =
  | 'cloudresourcemanager'
  | 'serviceusage'
  | 'cloudfunctions'
  | 'run'
  | 'secretmanager'
  | 'firestore'
  | 'firebaserules'
  | 'storage'
  | 'iam';

/** Access token sent to a local server when DOCTOR_API_TOKEN does not name another. */
export const LOCAL_ACCESS_TOKEN = 'local-doctor-token';

/** An API call that answered an error: the HTTP status and Google's status name and message. */
export class ApiCallError extends Error {
  /** From the error's google.rpc.ErrorInfo detail, when it has one: SERVICE_DISABLED, the service, and the consumer project ("projects/NUMBER"). */
  reason?: string;
  service?: string;
  consumer?: string;

  constructor(readonly httpStatus: number, readonly status: string, readonly apiMessage: string, readonly call: string) {
    super(`${call}: HTTP ${httpStatus}${status ? ` ${status}` : ''}: ${apiMessage}`);
  }
}

interface ErrorBody {
  error?: {
    message?: unknown;
    status?: unknown;
    errors?: { reason?: unknown }[];
    details?: { '@type'?: unknown; reason?: unknown; metadata?: { service?: unknown; consumer?: unknown } }[];
  };
}

export interface ApiResponse<T> {
  body: T;
  /** The server's clock (its Date header), in ms since the epoch, when it sent one. */
  serverTime?: number;
}

export type Query = Record<string, string | number | string[] | undefined>;

/**
 * Read-only REST access to Google's APIs: GET, and the getIamPolicy methods that Google defines as
 * POST. Nothing else can be sent through it, so the doctor cannot change a project.
 *
 * With no `baseUrl` it calls https://{api}.googleapis.com with Application Default Credentials
 * (`gcloud auth application-default login`, or GOOGLE_APPLICATION_CREDENTIALS); the auth library adds
 * the ADC file's quota project as x-goog-user-project, which user credentials need for some APIs.
 * With `baseUrl` (a local server, e.g. http://127.0.0.1:8123) every API goes to `{baseUrl}/{api}/...`
 * with a fixed bearer token, because nothing local can mint Google credentials.
 */
export class GoogleApi {
  private authClient?: Promise<{ getRequestHeaders(url?: string): Promise<Headers> }>;

  constructor(private readonly options: { baseUrl?: string; accessToken?: string; timeoutMs?: number } = {}) {}

  url(api: ApiName, path: string, query: Query = {}): string {
    const base = this.options.baseUrl ? `${this.options.baseUrl.replace(/\/+$/, '')}/${api}` : `https://${api}.googleapis.com`;
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value === undefined) continue;
      for (const item of Array.isArray(value) ? value : [value]) search.append(key, String(item));
    }
    const text = search.toString();
    return `${base}/${path}${text ? `?${text}` : ''}`;
  }

  /** GET; throws ApiCallError on an error answer. */
  get<T>(api: ApiName, path: string, query?: Query): Promise<ApiResponse<T>> {
    return this.send<T>('GET', api, path, query);
  }

  /** GET, or null when the resource does not exist (404). */
  async getOrNull<T>(api: ApiName, path: string, query?: Query): Promise<T | null> {
    try {
      return (await this.get<T>(api, path, query)).body;
    } catch (error) {
      if (error instanceof ApiCallError && error.httpStatus === 404) return null;
      throw error;
    }
  }

  /** Every item of a paged list (`nextPageToken` / `pageToken`), at most `maxPages` pages. */
  async list<T>(api: ApiName, path: string, key: string, query: Query = {}, maxPages = 20): Promise<ApiResponse<T[]>> {
    const items: T[] = [];
    let pageToken: string | undefined;
    let serverTime: number | undefined;
    for (let page = 0; page < maxPages; page++) {
      const response = await this.get<Record<string, unknown>>(api, path, { ...query, pageToken });
      serverTime ??= response.serverTime;
      const batch = response.body[key];
      if (Array.isArray(batch)) items.push(...(batch as T[]));
      pageToken = typeof response.body.nextPageToken === 'string' && response.body.nextPageToken ? response.body.nextPageToken : undefined;
      if (!pageToken) break;
    }
    return { body: items, serverTime };
  }

  /**
   * `{resource}:getIamPolicy` asking for policy version 3 (conditions included). Resource Manager and
   * IAM define it as POST (options in the body, or in the query for IAM), Cloud Run and Secret Manager
   * as GET with `options.requestedPolicyVersion`.
   */
  async getIamPolicy<T>(api: ApiName, resource: string): Promise<T> {
    const path = `${resource}:getIamPolicy`;
    if (api === 'cloudresourcemanager') return (await this.send<T>('POST', api, path, {}, { options: { requestedPolicyVersion: 3 } })).body;
    if (api === 'iam') return (await this.send<T>('POST', api, path, { 'options.requestedPolicyVersion': 3 })).body;
    return (await this.get<T>(api, path, { 'options.requestedPolicyVersion': 3 })).body;
  }

  /** Sends one call; only this class's read methods and, in `npm run retention`, its writing subclass call it. */
  protected async send<T>(method: 'GET' | 'POST' | 'PATCH', api: ApiName, path: string, query?: Query, body?: unknown): Promise<ApiResponse<T>> {
    const url = this.url(api, path, query);
    const call = `${method} ${url.replace(/\?.*$/, '')}`;
    let headers: Headers;
    try {
      headers = await this.headers(url);
    } catch (error) {
      // No Application Default Credentials, or they could not be refreshed.
      throw new ApiCallError(401, 'UNAUTHENTICATED', `no credentials: ${error instanceof Error ? error.message : String(error)}`, call);
    }
    if (body !== undefined) headers.set('Content-Type', 'application/json');
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
      });
    } catch (error) {
      throw new ApiCallError(0, 'UNAVAILABLE', error instanceof Error ? error.message : String(error), call);
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      json = undefined;
    }
    if (!response.ok) {
      // Google's JSON errors: {"error": {"code": 404, "message": "...", "status": "NOT_FOUND"}}; the
      // Storage JSON API leaves out `status` and gives `errors[].reason` instead.
      const error = (json as ErrorBody | undefined)?.error;
      const status = typeof error?.status === 'string' ? error.status : typeof error?.errors?.[0]?.reason === 'string' ? error.errors[0].reason : '';
      const message = typeof error?.message === 'string' ? error.message : text.slice(0, 200);
      const failure = new ApiCallError(response.status, status, message, call);
      const info = error?.details?.find((detail) => detail['@type'] === 'type.googleapis.com/google.rpc.ErrorInfo');
      if (typeof info?.reason === 'string') failure.reason = info.reason;
      if (typeof info?.metadata?.service === 'string') failure.service = info.metadata.service;
      if (typeof info?.metadata?.consumer === 'string') failure.consumer = info.metadata.consumer;
      throw failure;
    }
    if (json === undefined) throw new ApiCallError(response.status, '', `not JSON: ${text.slice(0, 200)}`, call);
    const date = Date.parse(response.headers.get('date') ?? '');
    return { body: json as T, serverTime: Number.isNaN(date) ? undefined : date };
  }

  private async headers(url: string): Promise<Headers> {
    if (this.options.baseUrl) return new Headers({ Authorization: `Bearer ${this.options.accessToken ?? LOCAL_ACCESS_TOKEN}` });
    this.authClient ??= new googleAuthLibrary.GoogleAuth({ scopes: ['https://www.googleapis.com/auth/cloud-platform'] }).getClient();
    return new Headers(await (await this.authClient).getRequestHeaders(url));
  }
}
