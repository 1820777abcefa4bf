import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { readJsonBody } from '../../shared/http-server';
import type { VeoCore } from '../veo-core';
import { internalError, invalidArgument, notFound, resourceExhausted } from '../veo-errors';
import type { VeoFile } from '../veo-files';
import { realisticLatencyMs, VEO_MODELS } from '../veo-models';
import { validateVideoRequest, type VeoVideoRequest } from '../veo-request';
import { DEFAULT_OPERATION_ERROR, DEFAULT_SAFETY_REASON, DEFAULT_SAFETY_REFUSAL } from '../veo-script';

function seedOf(text: string): number {
  return createHash('sha1').update(text).digest().readUInt32BE(0);
}

function makeFiles(core: VeoCore, request: VeoVideoRequest): VeoFile[] {
  const audio = VEO_MODELS[request.model]!.audio;
  const seed = seedOf(`${request.prompt}\u0000${request.negativePrompt ?? ''}`);
  return Array.from({ length: request.sampleCount }, (_, index) =>
    core.files.create({ model: request.model, durationSeconds: request.durationSeconds, aspectRatio: request.aspectRatio, resolution: request.resolution, audio, seed: seed + index * 47 }),
  );
}

/** `POST /v1beta/models/{model}:predictLongRunning`: validates, applies the script, starts an operation. */
export function registerGenerateRoute(app: FastifyInstance, core: VeoCore): void {
  app.post('/v1beta/models/*', async (request) => {
    const target = (request.params as { '*': string })['*'];
    const match = /^([^/:]+):predictLongRunning$/.exec(target);
    if (!match) throw notFound(`The requested URL ${request.url.split('?')[0]} was not found on this server.`);
    const model = match[1]!;
    core.counters.createRequests += 1;
    const spec = VEO_MODELS[model];
    if (!spec) {
      throw notFound(`models/${model} is not found for API version v1beta, or is not supported for predictLongRunning. Call ListModels to see the list of available models and their supported methods.`);
    }
    const body = readJsonBody(request);
    if (!body.ok) throw invalidArgument(`Invalid JSON payload received. ${body.message}`);
    let videoRequest: VeoVideoRequest;
    try {
      videoRequest = validateVideoRequest(model, spec, body.value, (fileId) => core.files.published(fileId));
    } catch (error) {
      core.counters.badRequests += 1;
      core.details.set(request, { model, refused: (error as Error).message });
      throw error;
    }

    const entry = core.script.take(videoRequest.prompt);
    const outcome = entry?.outcome ?? 'success';
    const log = core.log.child({ model, outcome, scriptId: entry?.id });
    core.details.set(request, { model, instance: videoRequest.instance, parameters: videoRequest.parameters, outcome, scriptId: entry?.id ?? null });
    switch (outcome) {
      case 'rate_limited_then_success':
        core.counters.rateLimited += 1;
        log.info('Veo simulator: scripted 429 RESOURCE_EXHAUSTED');
        throw resourceExhausted();
      case 'server_error':
        core.counters.serverErrors += 1;
        log.info('Veo simulator: scripted 500 INTERNAL');
        throw internalError(entry?.message);
      case 'safety_refused':
        core.counters.badRequests += 1;
        log.info('Veo simulator: scripted 400 INVALID_ARGUMENT, refused by the safety filters');
        throw invalidArgument(entry?.message ?? DEFAULT_SAFETY_REFUSAL);
      case 'bad_request':
        core.counters.badRequests += 1;
        log.info('Veo simulator: scripted 400 INVALID_ARGUMENT');
        throw invalidArgument(entry?.message ?? 'Request contains an invalid argument.');
      // The outcomes an operation plays out: started below.
      case 'success':
      case 'safety_filtered':
      case 'operation_error':
      case 'never_finishes':
        break;
    }

    const now = Date.now();
    const secondsMade = videoRequest.durationSeconds - (videoRequest.extends?.durationSeconds ?? 0);
    const latencyMs = entry?.latencyMs ?? core.settings.latencyMs ?? Math.round(realisticLatencyMs(secondsMade) * core.settings.timeScale);
    const operation = core.operations.create({
      request: videoRequest,
      outcome,
      createdAt: now,
      doneAt: outcome === 'never_finishes' ? null : now + latencyMs,
      files: outcome === 'success' ? makeFiles(core, videoRequest) : [],
      ...(outcome === 'operation_error' ? { error: entry?.message ? { code: DEFAULT_OPERATION_ERROR.code, message: entry.message } : DEFAULT_OPERATION_ERROR } : {}),
      ...(outcome === 'safety_filtered' ? { safetyReasons: [entry?.message ?? DEFAULT_SAFETY_REASON] } : {}),
      ...(entry ? { scriptId: entry.id } : {}),
    });
    core.counters.operationsCreated += 1;
    core.details.set(request, { ...core.details.get(request), operation: operation.name });
    log.info(
      { operation: operation.name, durationSeconds: videoRequest.durationSeconds, aspectRatio: videoRequest.aspectRatio, extends: videoRequest.extends?.id, latencyMs },
      'Veo simulator: simulated operation started (no video model runs)',
    );
    return { name: operation.name };
  });
}
