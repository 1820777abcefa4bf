import { setTimeout as sleep } from 'node:timers/promises';
import type { z } from 'zod';
import { RunpodAuthError, RunpodCapacityError, RunpodError, RunpodNotFoundError, RunpodRateLimitError, type RunpodErrorContext } from './errors';
import { readProblem } from './problem';
import { parseRetryAfter, retryableStatus, retryDelayMs, type RetryPolicy } from './retry-policy';

/** What the transport needs: where, with which key, how patiently. */
export interface TransportSettings {
  baseUrl: string;
  apiKey: string;
  fetch: typeof fetch;
  retry: RetryPolicy;
  timeoutMs: number;
  random: () => number;
}

/** One API call. */
export interface CallSpec<T> {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  query?: URLSearchParams;
  body?: unknown;
  /** The answer's schema; absent for calls answered 204. */
  schema?: z.ZodType<T>;
  /** A 400 here means the pod could not be placed (create, start). */
  placement?: boolean;
  signal?: AbortSignal;
}

type Outcome = { kind: 'answer'; response: Response; text: string } | { kind: 'failure'; cause: unknown };

/**
 * Sends a call, retrying 429, 5xx and network failures with backoff, and maps the final answer
 * to the value its schema reads or to a {@link RunpodError}.
 */
export async function call<T>(settings: TransportSettings, spec: CallSpec<T>): Promise<T | undefined> {
  const url = new URL(`${settings.baseUrl.replace(/\/+$/, '')}${spec.path}`);
  if (spec.query) url.search = spec.query.toString();
  const context = { method: spec.method, path: spec.path };
  for (let attempt = 1; ; attempt++) {
    const outcome = await send(settings, spec, url);
    const last = attempt >= settings.retry.attempts;
    if (outcome.kind === 'failure') {
      if (spec.signal?.aborted) throw spec.signal.reason;
      if (last) throw new RunpodError('runpod/network', `${spec.method} ${spec.path}: ${describe(outcome.cause)}`, { ...context, cause: outcome.cause });
      await pause(settings, attempt, undefined, spec.signal);
      continue;
    }
    const { response, text } = outcome;
    if (response.ok) return read(spec, response, text, context);
    if (!retryableStatus(response.status)) throw failure(spec, response, text, undefined);
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), Date.now());
    const waitTooLong = retryAfterMs !== undefined && retryAfterMs > settings.retry.maxRetryAfterMs;
    if (last || waitTooLong) throw failure(spec, response, text, retryAfterMs);
    await pause(settings, attempt, retryAfterMs, spec.signal);
  }
}

async function send(settings: TransportSettings, spec: CallSpec<unknown>, url: URL): Promise<Outcome> {
  const timeout = AbortSignal.timeout(settings.timeoutMs);
  const signal = spec.signal ? AbortSignal.any([spec.signal, timeout]) : timeout;
  const headers: Record<string, string> = { authorization: `Bearer ${settings.apiKey}`, accept: 'application/json, application/problem+json' };
  if (spec.body !== undefined) headers['content-type'] = 'application/json';
  try {
    const response = await settings.fetch(url, {
      method: spec.method,
      headers,
      ...(spec.body === undefined ? {} : { body: JSON.stringify(spec.body) }),
      signal,
    });
    return { kind: 'answer', response, text: await response.text() };
  } catch (cause) {
    return { kind: 'failure', cause };
  }
}

function read<T>(spec: CallSpec<T>, response: Response, text: string, context: RunpodErrorContext): T | undefined {
  if (!spec.schema) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (cause) {
    throw new RunpodError('runpod/unexpected-response', `${spec.method} ${spec.path}: answer ${response.status} is not JSON`, { ...context, status: response.status, cause });
  }
  const parsed = spec.schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
  throw new RunpodError('runpod/unexpected-response', `${spec.method} ${spec.path}: unexpected answer (${issues})`, { ...context, status: response.status });
}

function failure(spec: CallSpec<unknown>, response: Response, text: string, retryAfterMs: number | undefined): RunpodError {
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // a non-JSON error body is kept as text
  }
  const problem = readProblem(response.status, response.statusText, body);
  const context: RunpodErrorContext = { method: spec.method, path: spec.path, status: response.status, problem };
  const message = `${spec.method} ${spec.path}: ${response.status} ${problem.detail}`;
  switch (response.status) {
    case 400:
      return spec.placement ? new RunpodCapacityError(message, context) : new RunpodError('runpod/invalid-request', message, context);
    case 401:
    case 403:
      return new RunpodAuthError(message, context);
    case 402:
      return new RunpodError('runpod/payment-required', message, context);
    case 404:
      return new RunpodNotFoundError(message, context);
    case 409:
      return new RunpodError('runpod/invalid-state', message, context);
    case 422:
      return new RunpodError('runpod/invalid-request', problem.errors?.length ? `${message}: ${problem.errors.join('; ')}` : message, context);
    case 429:
      return new RunpodRateLimitError(message, context, retryAfterMs);
    default:
      return new RunpodError(response.status >= 500 ? 'runpod/server' : 'runpod/unexpected-response', message, context);
  }
}

async function pause(settings: TransportSettings, attempt: number, retryAfterMs: number | undefined, signal: AbortSignal | undefined): Promise<void> {
  await sleep(retryDelayMs(settings.retry, attempt, retryAfterMs, settings.random()), undefined, signal ? { signal } : {});
}

function describe(cause: unknown): string {
  if (cause instanceof Error) return cause.cause instanceof Error ? `${cause.message} (${cause.cause.message})` : cause.message;
  return String(cause);
}
