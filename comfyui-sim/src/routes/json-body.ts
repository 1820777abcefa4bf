import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';

/** Thrown for a body that is not JSON: ComfyUI (aiohttp) answers those with a bare 500. */
export class MalformedBodyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedBodyError';
  }
}

/** The request body parsed as JSON, throwing {@link MalformedBodyError} when it is not JSON. */
export function jsonBody(request: FastifyRequest): unknown {
  const raw = request.body;
  const text = Buffer.isBuffer(raw) ? raw.toString('utf8') : typeof raw === 'string' ? raw : '';
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new MalformedBodyError(`request body is not JSON: ${(error as Error).message}`);
  }
}

/** The request body as a JSON object, or `{}` when it is absent or not JSON (as `/interrupt` reads it). */
export function optionalJsonObject(request: FastifyRequest): Record<string, unknown> {
  try {
    const body = jsonBody(request);
    return isPlainObject(body) ? body : {};
  } catch {
    return {};
  }
}

/** The request body as a JSON object; anything else is a malformed body. */
export function jsonObject(request: FastifyRequest): Record<string, unknown> {
  const body = jsonBody(request);
  if (!isPlainObject(body)) throw new MalformedBodyError('request body is not a JSON object');
  return body;
}

/** Whether a value is a JSON object (not null, not an array). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Zod issues as one line per field: "atStep: Too small: expected number to be >=1". */
export function describeZodError(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(body)'}: ${issue.message}`).join('; ');
}
