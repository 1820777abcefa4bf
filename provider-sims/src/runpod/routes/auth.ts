import type { FastifyInstance } from 'fastify';
import { credentialAccepted } from '../../shared/settings';
import type { RunpodCore } from '../runpod-core';
import { unauthorized } from '../runpod-errors';

/** Requires `Authorization: Bearer <key>`; else 401. */
export function requireApiKey(app: FastifyInstance, core: RunpodCore): void {
  app.addHook('onRequest', async (request) => {
    const key = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
    if (credentialAccepted(core.settings.apiKey, key)) return;
    core.counters.authFailures += 1;
    core.log.warn({ url: request.url, keyPresent: Boolean(key) }, 'RunPod simulator refused a request: missing or unknown API key');
    throw unauthorized(Boolean(key));
  });
}
