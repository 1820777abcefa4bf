import type { FastifyInstance } from 'fastify';
import type { ReplicateCore } from '../replicate-core';
import { notFound, serverError } from '../replicate-errors';
import { createPrediction } from './create-prediction';

/** The prediction routes under `/v1`. */
export function registerPredictionRoutes(app: FastifyInstance, core: ReplicateCore): void {
  app.post('/v1/predictions', async (request, reply) => {
    const { prediction } = await createPrediction(core, request, { via: 'version' });
    return reply.code(201).send(prediction);
  });

  app.post('/v1/models/:owner/:name/predictions', async (request, reply) => {
    const { owner, name } = request.params as { owner: string; name: string };
    const model = `${owner}/${name}`;
    const kind = core.settings.models[model];
    if (!kind) {
      core.details.set(request, { model, refused: 'not an official model here: community models need a version' });
      throw notFound();
    }
    const { prediction } = await createPrediction(core, request, { via: 'model', model, kind });
    return reply.code(201).send(prediction);
  });

  app.get('/v1/predictions', async () => ({
    previous: null,
    next: null,
    results: core.predictions
      .list()
      .map((record) => record.prediction)
      .reverse(),
  }));

  app.get('/v1/predictions/:id', async (request) => {
    const { id } = request.params as { id: string };
    core.counters.gets += 1;
    const record = core.predictions.get(id);
    if (!record) throw notFound();
    if (record.serverErrorsLeft > 0) {
      record.serverErrorsLeft -= 1;
      core.counters.serverErrors += 1;
      core.details.set(request, { predictionId: id, scripted: 'server_error' });
      core.log.info({ predictionId: id, left: record.serverErrorsLeft }, 'Replicate simulator: scripted 500 on GET');
      throw serverError(record.failure);
    }
    core.details.set(request, { predictionId: id, status: record.prediction.status });
    return record.prediction;
  });

  app.post('/v1/predictions/:id/cancel', async (request) => {
    const { id } = request.params as { id: string };
    core.counters.cancels += 1;
    const record = core.predictions.get(id);
    if (!record) throw notFound();
    const statusBefore = record.prediction.status;
    core.runner.cancel(record);
    const { status, metrics } = record.prediction;
    core.cancelCalls.push({ at: new Date().toISOString(), predictionId: id, statusBefore, statusAfter: status, predictTime: metrics.predict_time ?? null });
    core.details.set(request, { predictionId: id, status });
    return record.prediction;
  });
}
