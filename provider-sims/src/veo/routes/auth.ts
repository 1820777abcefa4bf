import type { FastifyInstance } from 'fastify';
import { credentialAccepted } from '../../shared/settings';
import type { VeoCore } from '../veo-core';
import { apiKeyInvalid, unregisteredCaller } from '../veo-errors';

/**
 * Requires an API key in `x-goog-api-key` or the `key` query parameter: none is a 403
 * PERMISSION_DENIED, an unknown one a 400 INVALID_ARGUMENT (reason API_KEY_INVALID), as
 * googleapis.com answers them.
 */
export function requireApiKey(app: FastifyInstance, core: VeoCore): void {
  app.addHook('onRequest', async (request) => {
    const header = request.headers['x-goog-api-key'];
    const query = (request.query as Record<string, unknown>).key;
    const key = (typeof header === 'string' ? header : undefined) ?? (typeof query === 'string' ? query : undefined);
    if (credentialAccepted(core.settings.apiKey, key)) return;
    core.counters.authFailures += 1;
    core.log.warn({ url: request.url.split('?')[0], keyPresent: Boolean(key) }, 'Veo simulator refused a request: missing or unknown API key');
    throw key ? apiKeyInvalid() : unregisteredCaller();
  });
}
