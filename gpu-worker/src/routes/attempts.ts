import type { FastifyInstance } from 'fastify';
import { AttemptRequestSchema, describeIssues, SIGNATURE_HEADER, verifySignature, type AttemptResponse } from '@vidgen/contract';
import type { AttemptManager } from '../attempts/attempt-manager';
import type { WorkerServices } from '../services';

/** Seconds a full worker asks the dispatcher (Cloud Tasks) to wait before offering again. */
const RETRY_AFTER_SECONDS = 5;

/**
 * `POST /v1/attempts`: the dispatcher offers an attempt. The body must carry a valid HMAC; the
 * answer is 202 once this worker holds the lease, 409 when it is someone else's or over, 429 when full.
 */
export function attemptRoutes(app: FastifyInstance, services: WorkerServices, manager: AttemptManager): void {
  const { config, metrics } = services;
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  app.post('/v1/attempts', async (request, reply) => {
    const raw = typeof request.body === 'string' ? request.body : '';
    const signature = verifySignature(config.WORKER_SHARED_SECRET, raw, request.headers[SIGNATURE_HEADER] as string | undefined);
    if (!signature.ok) {
      const status = signature.reason === 'missing' ? 401 : 403;
      metrics.intake.inc({ status });
      return reply.code(status).send({ error: `Request signature ${signature.reason}.` });
    }
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      metrics.intake.inc({ status: 400 });
      return reply.code(400).send({ error: 'Body is not JSON.' });
    }
    const parsed = AttemptRequestSchema.safeParse(json);
    if (!parsed.success) {
      metrics.intake.inc({ status: 400 });
      return reply.code(400).send({ error: describeIssues(parsed.error).join('; ') });
    }
    const answer = await manager.offer(parsed.data);
    const body = (status: AttemptResponse['status'], extra: Partial<AttemptResponse> = {}): AttemptResponse => ({ status, workerId: config.WORKER_ID, ...extra });
    switch (answer.status) {
      case 'accepted':
        metrics.intake.inc({ status: 202 });
        return reply.code(202).send(body('accepted', { leaseExpiresAt: answer.leaseExpiresAt.toISOString() }));
      case 'already_claimed':
      case 'stale':
        metrics.intake.inc({ status: 409 });
        return reply.code(409).send(body(answer.status));
      case 'full':
        metrics.intake.inc({ status: 429 });
        return reply.code(429).header('retry-after', RETRY_AFTER_SECONDS).send({ error: `All ${config.MAX_CONCURRENT_JOBS} slots are busy.` });
      case 'draining':
        metrics.intake.inc({ status: 503 });
        return reply.code(503).header('retry-after', RETRY_AFTER_SECONDS).send({ error: 'This worker is shutting down.' });
    }
  });
}
