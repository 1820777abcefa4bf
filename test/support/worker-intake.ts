import { signBody, SIGNATURE_HEADER } from '@vidgen/contract';
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
