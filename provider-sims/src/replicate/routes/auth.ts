import type { FastifyInstance } from 'fastify';
import { credentialAccepted } from '../../shared/settings';
import type { ReplicateCore } from '../replicate-core';
import { unauthenticated } from '../replicate-errors';

/** Requires `Authorization: Bearer <token>` (or the older `Token <token>`); else 401. */
export function requireToken(app: FastifyInstance, core: ReplicateCore): void {
  app.addHook('onRequest', async (request) => {
    const match = /^(?:Bearer|Token)\s+(\S+)$/i.exec(request.headers.authorization ?? '');
    const token = match?.[1];
    if (credentialAccepted(core.settings.token, token)) return;
    core.counters.authFailures += 1;
    core.log.warn({ url: request.url, tokenPresent: Boolean(token) }, 'Replicate simulator refused a request: missing or unknown token');
    throw unauthenticated(Boolean(token));
  });
}
