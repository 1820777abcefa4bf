import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { MalformedBodyError } from './routes/json-body';

/** aiohttp's body for an unhandled exception, which is what ComfyUI clients get on a bad body. */
const INTERNAL_ERROR = '500 Internal Server Error\n\nServer got itself in trouble';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1']);

function hostnameOf(host: string): string {
  try {
    return new URL(`http://${host}`).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return host;
  }
}

/**
 * Body parsing, error answers and the Origin check as ComfyUI's aiohttp server has them: bodies
 * are read as raw bytes whatever their Content-Type (routes parse JSON themselves), a body that is
 * not JSON gets a plain 500, and a loopback server refuses a foreign `Origin` with 403.
 */
export function configureHttp(app: FastifyInstance, log: Logger): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.addHook('onRequest', async (request, reply) => {
    const origin = request.headers.origin;
    const host = request.headers.host?.toLowerCase();
    if (!origin || !host || !LOOPBACK_HOSTS.has(hostnameOf(host))) return;
    let originHost = '';
    try {
      originHost = new URL(origin).host.toLowerCase();
    } catch {
      originHost = '';
    }
    if (originHost.length > 0 && originHost !== host) {
      log.warn({ origin, host }, 'request with a foreign Origin refused');
      await reply.code(403).send();
    }
  });

  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (error instanceof MalformedBodyError) log.warn({ url: request.url, reason: error.message }, 'request body is not JSON: 500, as ComfyUI answers');
    else if (status === 500) log.error({ err: error, url: request.url }, 'request failed');
    void reply.code(status).type('text/plain; charset=utf-8').send(status === 500 ? INTERNAL_ERROR : `${status}: ${error.message}`);
  });

  app.setNotFoundHandler((_request, reply) => {
    void reply.code(404).type('text/plain; charset=utf-8').send('404: Not Found');
  });
}
