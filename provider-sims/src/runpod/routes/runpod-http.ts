import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import { RunpodHttpError } from '../runpod-errors';

/** Sends a problem answer (`application/problem+json`), as RunPod's v2 API does. */
export function sendProblem(reply: FastifyReply, error: RunpodHttpError): FastifyReply {
  return reply.code(error.status).headers(error.headers).type('application/problem+json').send(error.body);
}

/** Errors and unknown routes as RFC 9457 problems. */
export function configureRunpodErrors(app: FastifyInstance, log: Logger): void {
  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
    if (error instanceof RunpodHttpError) return sendProblem(reply, error);
    if (error.statusCode === 413) return sendProblem(reply, new RunpodHttpError(413, 'Content Too Large', 'request body too large'));
    log.error({ err: error, url: request.url }, 'RunPod simulator route failed');
    return sendProblem(reply, new RunpodHttpError(500, 'Internal Server Error', 'internal error'));
  });
  app.setNotFoundHandler((_request, reply) => {
    void sendProblem(reply, new RunpodHttpError(404, 'Not Found', 'resource not found'));
  });
}
