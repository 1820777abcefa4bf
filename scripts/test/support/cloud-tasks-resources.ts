import { ENUMS, enumName, formatDuration, invalid, isObject, jsonText, parseDuration, type Json } from './cloud-tasks-json';

/**
 * Queue and Task resources of the local Cloud Tasks server: validation of what a request sends, the
 * defaults Cloud Tasks fills in, and update masks, on the v2 fields (protos.json, google.cloud.tasks.v2).
 */

type Leaf = { parse: (value: unknown, field: string) => unknown; default?: unknown };

const int = (min: number, max: number) => (value: unknown, field: string): number => {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) throw invalid(`${field} must be an integer in [${min}, ${max}], got ${String(value)}`);
  return value;
};
const duration = (value: unknown, field: string): string => {
  const nanos = parseDuration(value, field);
  if (nanos < 0n) throw invalid(`${field} must not be negative`);
  return formatDuration(nanos);
};

/** The settable leaves of a Queue, by JSON path, with Cloud Tasks' defaults for a new queue. */
const QUEUE_LEAVES: Record<string, Leaf> = {
  'rateLimits.maxDispatchesPerSecond': {
    parse: (value, field) => {
      if (typeof value !== 'number' || !(value > 0) || value > 500) throw invalid(`${field} must be in (0, 500], got ${String(value)}`);
      return value;
    },
    default: 500,
  },
  'rateLimits.maxConcurrentDispatches': { parse: int(1, 5000), default: 1000 },
  'retryConfig.maxAttempts': { parse: int(-1, 1_000_000), default: 100 },
  'retryConfig.maxRetryDuration': { parse: duration },
  'retryConfig.minBackoff': { parse: duration, default: '0.100s' },
  'retryConfig.maxBackoff': { parse: duration, default: '3600s' },
  'retryConfig.maxDoublings': { parse: int(0, 1_000_000), default: 16 },
  'stackdriverLoggingConfig.samplingRatio': {
    parse: (value, field) => {
      if (typeof value !== 'number' || value < 0 || value > 1) throw invalid(`${field} must be in [0, 1]`);
      return value;
    },
  },
};
const GROUPS = ['rateLimits', 'retryConfig', 'stackdriverLoggingConfig'];
/** Output-only fields: accepted in a body (a client may send back what it read) but never set from it. */
const OUTPUT_ONLY = new Set(['state', 'purgeTime', 'rateLimits.maxBurstSize']);

/** The settable leaves a request's Queue carries, validated. */
function queueLeaves(queue: Json): Map<string, unknown> {
  const leaves = new Map<string, unknown>();
  for (const [key, value] of Object.entries(queue)) {
    if (key === 'name' || OUTPUT_ONLY.has(key)) continue;
    if (key === 'appEngineRoutingOverride') throw invalid('appEngineRoutingOverride: App Engine queues are not supported by this local server');
    if (!GROUPS.includes(key)) throw invalid(`Invalid JSON payload received. Unknown name "${key}" at 'queue': Cannot find field.`);
    if (!isObject(value)) throw invalid(`Invalid value at 'queue.${key}'`);
    for (const [field, leafValue] of Object.entries(value)) {
      const path = `${key}.${field}`;
      if (OUTPUT_ONLY.has(path)) continue;
      const leaf = QUEUE_LEAVES[path];
      if (!leaf) throw invalid(`Invalid JSON payload received. Unknown name "${field}" at 'queue.${key}': Cannot find field.`);
      leaves.set(path, leaf.parse(leafValue, `queue.${path}`));
    }
  }
  return leaves;
}

/** The stored queue: leaves as nested JSON, plus name, state and the derived maxBurstSize. */
function assemble(name: string, state: string, leaves: Map<string, unknown>): Json {
  const min = leaves.get('retryConfig.minBackoff');
  const max = leaves.get('retryConfig.maxBackoff');
  if (typeof min === 'string' && typeof max === 'string' && parseDuration(min, 'minBackoff') > parseDuration(max, 'maxBackoff')) {
    throw invalid('queue.retry_config.min_backoff must be less than or equal to max_backoff');
  }
  const queue: Json = { name };
  for (const [path, value] of leaves) {
    const [group, field] = path.split('.') as [string, string];
    queue[group] = { ...(queue[group] as Json | undefined), [field]: value };
  }
  // Cloud Tasks derives the burst size from the dispatch rate; this stand-in keeps Google's usual 100.
  queue.rateLimits = { ...(queue.rateLimits as Json), maxBurstSize: 100 };
  queue.state = state;
  return queue;
}

function defaults(): Map<string, unknown> {
  return new Map(Object.entries(QUEUE_LEAVES).flatMap(([path, leaf]) => (leaf.default === undefined ? [] : [[path, leaf.default]])));
}

/** A new queue from a createQueue body, with Cloud Tasks' defaults for what it leaves out. */
export function newQueue(name: string, body: Json): Json {
  const leaves = defaults();
  for (const [path, value] of queueLeaves(body)) leaves.set(path, value);
  return assemble(name, 'RUNNING', leaves);
}

/**
 * `current` updated from an updateQueue body. With a mask, only the masked fields change (a masked
 * field the body lacks goes back to its default); without one, every field the body carries.
 */
export function updatedQueue(current: Json, body: Json, mask: string[] | undefined): Json {
  const next = flatten(current);
  const given = queueLeaves(body);
  if (!mask) {
    for (const [path, value] of given) next.set(path, value);
  } else {
    for (const path of mask) {
      if (path === 'name' || OUTPUT_ONLY.has(path)) throw invalid(`update_mask: '${path}' is output only or immutable`);
      const covered = Object.keys(QUEUE_LEAVES).filter((leaf) => leaf === path || leaf.startsWith(`${path}.`));
      if (covered.length === 0) throw invalid(`update_mask: unknown field '${path}'`);
      const fallback = defaults();
      for (const leaf of covered) {
        const value = given.has(leaf) ? given.get(leaf) : fallback.get(leaf);
        if (value === undefined) next.delete(leaf);
        else next.set(leaf, value);
      }
    }
  }
  return assemble(String(current.name), jsonText(current.state ?? 'RUNNING'), next);
}

function flatten(queue: Json): Map<string, unknown> {
  const leaves = new Map<string, unknown>();
  for (const path of Object.keys(QUEUE_LEAVES)) {
    const [group, field] = path.split('.') as [string, string];
    const value = (queue[group] as Json | undefined)?.[field];
    if (value !== undefined) leaves.set(path, value);
  }
  return leaves;
}

/** An HTTP-target task as stored: validated, enums as names, the body still base64 as JSON carries bytes. */
export function newTask(name: string, body: Json, now: Date): Json {
  for (const key of Object.keys(body)) {
    if (key === 'appEngineHttpRequest') throw invalid('task.app_engine_http_request: App Engine tasks are not supported by this local server');
    if (!['name', 'httpRequest', 'scheduleTime', 'dispatchDeadline'].includes(key)) throw invalid(`Invalid JSON payload received. Unknown name "${key}" at 'task': Cannot find field.`);
  }
  const http = body.httpRequest;
  if (!isObject(http)) throw invalid('task.http_request is required');
  if (typeof http.url !== 'string' || !/^https?:\/\//.test(http.url)) throw invalid(`task.http_request.url: '${String(http.url)}' is not an http(s) URL`);
  const headers = http.headers ?? {};
  if (!isObject(headers) || !Object.values(headers).every((v) => typeof v === 'string')) throw invalid('task.http_request.headers must map strings to strings');
  if (http.body !== undefined && (typeof http.body !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(http.body))) throw invalid('task.http_request.body must be base64');
  const scheduleTime = body.scheduleTime === undefined ? now : new Date(jsonText(body.scheduleTime));
  if (Number.isNaN(scheduleTime.getTime())) throw invalid(`task.schedule_time: '${String(body.scheduleTime)}' is not a timestamp`);
  const httpRequest: Json = {
    url: http.url,
    httpMethod: http.httpMethod === undefined ? 'POST' : enumName(ENUMS.httpMethod, http.httpMethod, 'task.http_request.http_method'),
    headers,
  };
  if (http.body !== undefined) httpRequest.body = http.body;
  if (http.oidcToken !== undefined) httpRequest.oidcToken = http.oidcToken;
  if (http.oauthToken !== undefined) httpRequest.oauthToken = http.oauthToken;
  return {
    name,
    httpRequest,
    scheduleTime: scheduleTime.toISOString(),
    createTime: now.toISOString(),
    dispatchDeadline: body.dispatchDeadline === undefined ? '600s' : duration(body.dispatchDeadline, 'task.dispatch_deadline'),
    dispatchCount: 0,
    responseCount: 0,
    view: 'BASIC',
  };
}

/** A task as a response shows it: the BASIC view leaves out the body, as Cloud Tasks does. */
export function taskView(task: Json, view: string): Json {
  if (view === 'FULL') return { ...task, view: 'FULL' };
  const { body: _body, ...httpRequest } = task.httpRequest as Json;
  return { ...task, httpRequest, view: 'BASIC' };
}
