import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { GoogleApiError, internalError, notFound } from '../veo-errors';

/** Error and not-found answers in the Google API shape `{"error":{code,message,status}}`. */
export function configureVeoErrors(app: FastifyInstance, log: Logger): void {
  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
    let answer: GoogleApiError;
    if (error instanceof GoogleApiError) answer = error;
    else if (error.statusCode === 413) answer = new GoogleApiError(413, 'INVALID_ARGUMENT', 'Request payload size exceeds the limit.');
    else {
      log.error({ err: error, url: request.url }, 'Veo simulator route failed');
      answer = internalError();
    }
    void reply.code(answer.code).type('application/json; charset=UTF-8').send(answer.body());
  });
  app.setNotFoundHandler((request, reply) => {
    const answer = notFound(`The requested URL ${request.url.split('?')[0]} was not found on this server.`);
    void reply.code(404).type('application/json; charset=UTF-8').send(answer.body());
  });
}
