import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SIGNATURE_HEADER, verifySignature } from '@vidgen/contract';
import type { Config } from '../config';

export type OperatorCheck =
  | { ok: true; via: 'signature' | 'token' }
  | { ok: false; status: 401 | 403; error: string };

const MISSING =
  'This endpoint needs credentials: Authorization: Bearer METRICS_TOKEN, or the worker signature ' +
  `(${SIGNATURE_HEADER}: t=<unix seconds>,v1=HMAC-SHA256(WORKER_SHARED_SECRET, "t.") over an empty body).`;

function sameSecret(given: string, expected: string): boolean {
  // Hashed first so that the comparison takes the same time whatever the lengths.
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * Who may read the operator endpoints (`/health/detailed`, `/metrics`): RunPod's proxy makes the
 * worker's port public, and those answers describe its ComfyUI, models and load. Either the bearer
 * token `METRICS_TOKEN` (for a Prometheus scraper) or the dispatcher's HMAC over an empty body (for
 * anyone holding the workers' secret, such as the doctor). 401 without credentials, 403 with wrong ones.
 */
export function checkOperator(
  config: Pick<Config, 'WORKER_SHARED_SECRET' | 'METRICS_TOKEN'>,
  headers: { authorization?: string; signature?: string },
  now: Date = new Date(),
): OperatorCheck {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '')?.[1];
  if (bearer !== undefined && config.METRICS_TOKEN && sameSecret(bearer, config.METRICS_TOKEN)) return { ok: true, via: 'token' };
  const signature = headers.signature ? verifySignature(config.WORKER_SHARED_SECRET, '', headers.signature, now) : null;
  if (signature?.ok) return { ok: true, via: 'signature' };
  if (signature) return { ok: false, status: 403, error: `Request signature ${signature.reason}.` };
  if (headers.authorization) return { ok: false, status: 403, error: 'Credentials not accepted.' };
  return { ok: false, status: 401, error: MISSING };
}

/** A Fastify pre-handler that answers 401/403 unless {@link checkOperator} lets the request through. */
export function operatorOnly(config: Pick<Config, 'WORKER_SHARED_SECRET' | 'METRICS_TOKEN'>) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | void> => {
    const check = checkOperator(config, {
      authorization: request.headers.authorization,
      signature: request.headers[SIGNATURE_HEADER] as string | undefined,
    });
    if (check.ok) return;
    if (check.status === 401) reply.header('www-authenticate', 'Bearer');
    // Returning the reply ends the request here (Fastify's early answer from an async hook).
    return reply.code(check.status).send({ error: check.error });
  };
}
