import type { FastifyRequest } from 'fastify';
import { readJsonBody } from '../../shared/http-server';
import type { ZodType } from 'zod';
import type { RunpodCore } from '../runpod-core';
import { badRequest, serverError, tooManyRequests, unprocessable } from '../runpod-errors';
import type { RunpodOperation } from '../runpod-script';
import { issueLines } from '../request-schemas';

/** Throws the scripted 429 or 5xx for `operation`, if one applies. */
export function scriptedFailure(core: RunpodCore, operation: RunpodOperation): void {
  const entry = core.script.take(['rate_limited', 'server_error'], { operation });
  if (!entry) return;
  if (entry.outcome === 'rate_limited') {
    core.counters.rateLimited += 1;
    throw tooManyRequests(entry.retryAfterSeconds);
  }
  core.counters.serverErrors += 1;
  throw serverError(entry.status);
}

/** The JSON body read with `schema`: 400 when it is not JSON, 422 naming each field that breaks the schema. */
export function parseBody<T>(request: FastifyRequest, schema: ZodType<T>): T {
  const body = readJsonBody(request);
  if (!body.ok) throw badRequest(`request body is not valid JSON: ${body.message}`);
  const parsed = schema.safeParse(body.value);
  if (!parsed.success) throw unprocessable(issueLines(parsed.error));
  return parsed.data;
}
