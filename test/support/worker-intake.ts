import { signBody, SIGNATURE_HEADER } from '@vidgen/contract';
import { LOCAL_METRICS_TOKEN } from '../../scripts/stack/stack';
import { workerSecret } from './stack-state';

/** POSTs an attempt to a worker exactly as the dispatcher does (same body, same signature header). */
export async function offerAttempt(workerUrl: string, body: unknown, options: { signature?: string | null } = {}): Promise<{ status: number; body: unknown }> {
  const text = JSON.stringify(body);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const signature = options.signature === undefined ? signBody(workerSecret(), text) : options.signature;
  if (signature !== null) headers[SIGNATURE_HEADER] = signature;
  const response = await fetch(new URL('/v1/attempts', workerUrl), { method: 'POST', headers, body: text });
  return { status: response.status, body: await response.json() };
}

/** Credentials for a worker's operator endpoints (`/health/detailed`, `/metrics`): its HMAC over an empty body, or the bearer METRICS_TOKEN. */
export function operatorHeaders(via: 'signature' | 'token' = 'signature'): Record<string, string> {
  return via === 'token' ? { authorization: `Bearer ${LOCAL_METRICS_TOKEN}` } : { [SIGNATURE_HEADER]: signBody(workerSecret(), '') };
}

/** GETs an operator endpoint of a worker, signed as the doctor would sign it unless told otherwise. */
export function operatorGet(workerUrl: string, path: string, headers: Record<string, string> = operatorHeaders()): Promise<Response> {
  return fetch(new URL(path, workerUrl), { headers });
}

/** How many attempts a worker runs, by its `vidgen_attempts_running` gauge: it drops once a run has made its last write. */
export async function attemptsRunning(workerUrl: string): Promise<number> {
  const text = await (await operatorGet(workerUrl, '/metrics')).text();
  return Number(/^vidgen_attempts_running (\S+)$/m.exec(text)?.[1] ?? NaN);
}
