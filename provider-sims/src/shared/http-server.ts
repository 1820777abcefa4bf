import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';

const BODY_LIMIT = 100 * 1024 * 1024;

/**
 * A Fastify app that reads every body as raw bytes whatever its Content-Type: routes parse JSON
 * themselves, so an empty body with `Content-Type: application/json` (the Replicate client's
 * cancel) and a malformed one get the simulated API's own answers instead of Fastify's.
 */
export function createHttpApp(): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: BODY_LIMIT, forceCloseConnections: true });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  return app;
}

/** Starts listening and returns the base URL, e.g. `http://127.0.0.1:8190`. */
export async function listen(app: FastifyInstance, host: string, port: number): Promise<{ url: string; port: number }> {
  await app.listen({ host, port });
  const address = app.server.address() as AddressInfo;
  const hostForUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return { url: `http://${hostForUrl}:${address.port}`, port: address.port };
}

/** The outcome of reading a JSON body. */
export type JsonBody = { ok: true; value: unknown } | { ok: false; message: string };

/** The request body parsed as JSON; an absent or empty body reads as `undefined`. */
export function readJsonBody(request: FastifyRequest): JsonBody {
  const raw = request.body;
  const text = Buffer.isBuffer(raw) ? raw.toString('utf8') : typeof raw === 'string' ? raw : '';
  if (text.trim() === '') return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  }
}

/** The base URL the client reached this server at (from its Host header), for links in answers. */
export function requestBaseUrl(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`;
}

/** The request's path and query with the `key` query parameter (a credential) masked, for logs. */
export function redactedUrl(request: FastifyRequest): string {
  return request.url.replace(/([?&]key=)[^&]*/g, '$1***');
}
