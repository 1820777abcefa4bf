import { randomInt } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiError, ENUMS, camelPath, enumName, isObject, jsonText, withNumericEnums, type Json, type StatusName } from './cloud-tasks-json';
import { newQueue, newTask, taskView, updatedQueue } from './cloud-tasks-resources';

export type Method = 'getQueue' | 'createQueue' | 'updateQueue' | 'listTasks' | 'createTask';

/** One API call the server answered. */
export interface CallRecord {
  method: Method;
  /** The queue's resource name. */
  queue: string;
  /** updateQueue: the update mask's paths as the request sent them (the client sends proto field names). */
  updateMask?: string[];
}

/** One HTTP-target task the server dispatched, and how it went. */
export interface DispatchRecord {
  task: string;
  url: string;
  method: string;
  headers: Record<string, string>;
  body: Buffer;
  /** The HTTP status the target answered, or undefined when it could not be reached. */
  status?: number;
}

/** An error to answer instead of doing the call. */
export interface Fault {
  status: StatusName;
  message: string;
  /** How many calls fail; every one when undefined. */
  times?: number;
}

const SEGMENT = '([^/?]+)';
const QUEUE = `projects/${SEGMENT}/locations/${SEGMENT}/queues/${SEGMENT}`;
const ROUTES: { method: string; pattern: RegExp; name: Method }[] = [
  { method: 'GET', pattern: new RegExp(`^/v2/(${QUEUE})$`), name: 'getQueue' },
  { method: 'PATCH', pattern: new RegExp(`^/v2/(${QUEUE})$`), name: 'updateQueue' },
  { method: 'POST', pattern: new RegExp(`^/v2/(projects/${SEGMENT}/locations/${SEGMENT})/queues$`), name: 'createQueue' },
  { method: 'GET', pattern: new RegExp(`^/v2/(${QUEUE})/tasks$`), name: 'listTasks' },
  { method: 'POST', pattern: new RegExp(`^/v2/(${QUEUE})/tasks$`), name: 'createTask' },
];

/**
 * A local stand-in for Cloud Tasks v2, speaking the REST API that @google-cloud/tasks' REST fallback
 * uses (paths and bodies from the google.api.http rules in its protos.json) for getQueue, createQueue,
 * updateQueue, listTasks and createTask, with Google's JSON errors. It checks the bearer token, keeps
 * queues and tasks in memory, and dispatches an HTTP-target task when it is due: one request to its
 * URL, with its method, headers and body plus Cloud Tasks' X-CloudTasks-* headers. A task answered
 * 2xx is deleted; any other outcome is recorded on the task (dispatchCount, lastAttempt) and not
 * retried: retry timing is Cloud Tasks' business, not this test double's. OIDC / OAuth tokens are
 * stored but not minted (nothing local can sign Google tokens). Listens on 127.0.0.1 only.
 */
export class CloudTasksServer {
  readonly calls: CallRecord[] = [];
  readonly dispatches: DispatchRecord[] = [];
  private readonly queues = new Map<string, Json>();
  private readonly tasks = new Map<string, Map<string, Json>>();
  /** Task names ever used, which Cloud Tasks refuses to reuse (de-duplication). */
  private readonly usedTaskNames = new Set<string>();
  private readonly faults = new Map<string, Fault>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly waiters: { task: string; resolve: (record: DispatchRecord) => void }[] = [];
  private readonly pending = new Set<Promise<void>>();

  private constructor(private readonly server: Server, readonly accessToken: string) {}

  /** Starts a server on 127.0.0.1 at `port` (0: any free one). */
  static async start(options: { port?: number; accessToken?: string } = {}): Promise<CloudTasksServer> {
    const server = createServer();
    const tasks = new CloudTasksServer(server, options.accessToken ?? 'local-cloud-tasks-token');
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void tasks.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', resolve);
    });
    return tasks;
  }

  /** The origin to give the client, e.g. http://127.0.0.1:40123. */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** How many calls of `method` the server answered (errors included). */
  count(method: Method): number {
    return this.calls.filter((call) => call.method === method).length;
  }

  /** A queue as stored (enums as names), or undefined. */
  queue(name: string): Json | undefined {
    const queue = this.queues.get(name);
    return queue && structuredClone(queue);
  }

  /** Changes a stored queue behind the API's back, as someone in the console would. */
  editQueue(name: string, edit: (queue: Json) => void): void {
    const queue = this.queues.get(name);
    if (!queue) throw new Error(`no queue ${name}`);
    edit(queue);
  }

  /** Makes `method` calls on queue `queueId` fail with `status`: the next `times` of them, or all until cleared with null. */
  failCalls(method: Method, queueId: string, fault: Fault | null): void {
    if (fault) this.faults.set(`${method} ${queueId}`, fault);
    else this.faults.delete(`${method} ${queueId}`);
  }

  /** Resolves with the dispatch of task `name` (a full task name) once it happened. */
  dispatched(name: string): Promise<DispatchRecord> {
    const done = this.dispatches.find((record) => record.task === name);
    if (done) return Promise.resolve(done);
    return new Promise((resolve) => this.waiters.push({ task: name, resolve }));
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await Promise.allSettled([...this.pending]);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const numericEnums = (url.searchParams.get('$alt') ?? '').includes('enum-encoding=int');
    try {
      if (req.headers.authorization !== `Bearer ${this.accessToken}`) {
        throw new ApiError('UNAUTHENTICATED', 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.');
      }
      const route = ROUTES.map((r) => ({ route: r, match: req.method === r.method ? r.pattern.exec(url.pathname) : null })).find((r) => r.match);
      if (!route?.match) throw new ApiError('NOT_FOUND', `${req.method} ${url.pathname} is not a Cloud Tasks v2 method this server speaks`);
      const resource = decodeURIComponent(route.match[1] ?? '');
      const body = req.method === 'GET' ? {} : await readJson(req);
      const result = this.call(route.route.name, resource, body, url.searchParams);
      send(res, 200, withNumericEnums(result, numericEnums));
    } catch (error) {
      const apiError = error instanceof ApiError ? error : new ApiError('INTERNAL', error instanceof Error ? error.message : String(error));
      send(res, apiError.httpStatus, apiError.toJSON());
    }
  }

  private call(method: Method, resource: string, body: Json, query: URLSearchParams): Json {
    const mask = query.get('updateMask');
    const updateMask = method === 'updateQueue' && mask !== null ? mask.split(',').filter(Boolean) : undefined;
    const queueName = method === 'createQueue' ? jsonText(body.name ?? '') : resource;
    this.calls.push({ method, queue: queueName, ...(updateMask ? { updateMask } : {}) });
    const faultKey = `${method} ${queueName.split('/').pop() ?? ''}`;
    const fault = this.faults.get(faultKey);
    if (fault) {
      if (fault.times !== undefined && --fault.times <= 0) this.faults.delete(faultKey);
      throw new ApiError(fault.status, fault.message);
    }
    switch (method) {
      case 'getQueue':
        return this.existingQueue(resource);
      case 'createQueue':
        return this.createQueue(resource, body);
      case 'updateQueue':
        return this.updateQueue(resource, body, updateMask?.map(camelPath));
      case 'listTasks':
        return this.listTasks(resource, query);
      case 'createTask':
        return this.createTask(resource, body);
    }
  }

  private existingQueue(name: string): Json {
    const queue = this.queues.get(name);
    if (!queue) throw new ApiError('NOT_FOUND', `Queue does not exist. If you just created the queue, wait at least a minute for the queue to initialize.`);
    return queue;
  }

  private createQueue(parent: string, body: Json): Json {
    const name = body.name;
    if (typeof name !== 'string' || !name.startsWith(`${parent}/queues/`) || !/^[A-Za-z0-9-]{1,100}$/.test(name.slice(parent.length + 8))) {
      throw new ApiError('INVALID_ARGUMENT', `Queue.name must be ${parent}/queues/QUEUE_ID (letters, digits and hyphens), got '${String(name)}'`);
    }
    if (this.queues.has(name)) throw new ApiError('ALREADY_EXISTS', 'Requested entity already exists');
    const queue = newQueue(name, body);
    this.queues.set(name, queue);
    this.tasks.set(name, new Map());
    return queue;
  }

  /** updateQueue creates a missing queue, as Cloud Tasks' UpdateQueue does. */
  private updateQueue(name: string, body: Json, mask: string[] | undefined): Json {
    if (body.name !== undefined && body.name !== name) throw new ApiError('INVALID_ARGUMENT', `queue.name '${jsonText(body.name)}' does not match the URL's ${name}`);
    const current = this.queues.get(name);
    const queue = current ? updatedQueue(current, body, mask) : newQueue(name, body);
    this.queues.set(name, queue);
    if (!this.tasks.has(name)) this.tasks.set(name, new Map());
    return queue;
  }

  private listTasks(queue: string, query: URLSearchParams): Json {
    this.existingQueue(queue);
    const pageSize = Number(query.get('pageSize') ?? 1000) || 1000;
    if (!Number.isInteger(pageSize) || pageSize < 0 || pageSize > 1000) throw new ApiError('INVALID_ARGUMENT', 'page_size must be in [0, 1000]');
    const start = query.get('pageToken') ? Number(Buffer.from(query.get('pageToken') ?? '', 'base64url').toString()) : 0;
    if (!Number.isInteger(start) || start < 0) throw new ApiError('INVALID_ARGUMENT', 'Invalid page_token');
    const view = query.has('responseView') ? enumName(ENUMS.taskView, numberOr(query.get('responseView')), 'response_view') : 'BASIC';
    const all = [...(this.tasks.get(queue)?.values() ?? [])];
    const page = all.slice(start, start + pageSize);
    const end = start + page.length;
    return { tasks: page.map((task) => taskView(task, view)), ...(end < all.length ? { nextPageToken: Buffer.from(String(end)).toString('base64url') } : {}) };
  }

  private createTask(queue: string, body: Json): Json {
    this.existingQueue(queue);
    if (!isObject(body.task)) throw new ApiError('INVALID_ARGUMENT', 'task is required');
    const given = body.task.name;
    if (given !== undefined && (typeof given !== 'string' || !new RegExp(`^${queue}/tasks/[A-Za-z0-9_-]{1,500}$`).test(given))) {
      throw new ApiError('INVALID_ARGUMENT', `Task.name must be ${queue}/tasks/TASK_ID, got '${jsonText(given)}'`);
    }
    const name = typeof given === 'string' ? given : `${queue}/tasks/${randomInt(2 ** 47)}${randomInt(2 ** 47)}`;
    if (this.usedTaskNames.has(name)) throw new ApiError('ALREADY_EXISTS', 'Requested entity already exists');
    const task = newTask(name, body.task, new Date());
    this.usedTaskNames.add(name);
    this.tasks.get(queue)?.set(name, task);
    this.schedule(queue, task);
    const view = body.responseView === undefined ? 'BASIC' : enumName(ENUMS.taskView, body.responseView, 'response_view');
    return taskView(task, view);
  }

  private schedule(queue: string, task: Json): void {
    const delay = Math.max(0, Date.parse(String(task.scheduleTime)) - Date.now());
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      const run = this.dispatch(queue, task).finally(() => this.pending.delete(run));
      this.pending.add(run);
    }, delay);
    this.timers.add(timer);
  }

  private async dispatch(queue: string, task: Json): Promise<void> {
    if (this.queues.get(queue)?.state !== 'RUNNING') return;
    const http = task.httpRequest as { url: string; httpMethod: string; headers: Record<string, string>; body?: string };
    const body = Buffer.from(http.body ?? '', 'base64');
    const headers: Record<string, string> = {
      'User-Agent': 'Google-Cloud-Tasks',
      ...(body.length > 0 ? { 'Content-Type': 'application/octet-stream' } : {}),
      ...http.headers,
      'X-CloudTasks-QueueName': queue.split('/').pop() ?? '',
      'X-CloudTasks-TaskName': String(task.name).split('/').pop() ?? '',
      'X-CloudTasks-TaskRetryCount': String(task.dispatchCount),
      'X-CloudTasks-TaskExecutionCount': String(task.responseCount),
      'X-CloudTasks-TaskETA': String(Date.parse(String(task.scheduleTime)) / 1000),
    };
    const record: DispatchRecord = { task: String(task.name), url: http.url, method: http.httpMethod, headers, body };
    const dispatchTime = new Date().toISOString();
    task.dispatchCount = Number(task.dispatchCount) + 1;
    let responseStatus: Json;
    try {
      const response = await fetch(http.url, {
        method: http.httpMethod,
        headers,
        body: ['GET', 'HEAD'].includes(http.httpMethod) || body.length === 0 ? undefined : body,
        signal: AbortSignal.timeout(10_000),
      });
      await response.arrayBuffer();
      record.status = response.status;
      task.responseCount = Number(task.responseCount) + 1;
      responseStatus = { code: response.ok ? 0 : 2, message: `HTTP ${response.status}` };
    } catch (error) {
      responseStatus = { code: 14, message: error instanceof Error ? error.message : String(error) };
    }
    const attempt = { scheduleTime: task.scheduleTime, dispatchTime, responseTime: new Date().toISOString(), responseStatus };
    if (!task.firstAttempt) task.firstAttempt = { dispatchTime };
    task.lastAttempt = attempt;
    if (record.status !== undefined && record.status >= 200 && record.status < 300) this.tasks.get(queue)?.delete(String(task.name));
    this.dispatches.push(record);
    for (const waiter of this.waiters.filter((w) => w.task === record.task)) {
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      waiter.resolve(record);
    }
  }
}

function numberOr(value: string | null): string | number | null {
  return value !== null && /^\d+$/.test(value) ? Number(value) : value;
}

async function readJson(req: IncomingMessage): Promise<Json> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ApiError('INVALID_ARGUMENT', 'Invalid JSON payload received.');
  }
  if (!isObject(parsed)) throw new ApiError('INVALID_ARGUMENT', 'Invalid JSON payload received. Expected an object.');
  return parsed;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=UTF-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
