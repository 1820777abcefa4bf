import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { notFound, ReplicateHttpError } from '../replicate-errors';

/** Error and not-found answers as Replicate's JSON `{detail, ...}`. */
export function configureReplicateErrors(app: FastifyInstance, log: Logger): void {
  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
    let answer: ReplicateHttpError;
    if (error instanceof ReplicateHttpError) answer = error;
    else if (error.statusCode === 413) answer = new ReplicateHttpError(413, { detail: 'Request body too large.' });
    else {
      log.error({ err: error, url: request.url }, 'Replicate simulator route failed');
      answer = new ReplicateHttpError(500, { detail: 'Internal Server Error' });
    }
    void reply.code(answer.status).headers(answer.headers).type('application/json').send(answer.body);
  });
  app.setNotFoundHandler((_request, reply) => {
    void reply.code(404).type('application/json').send(notFound().body);
  });
}
