import type { FastifyRequest } from 'fastify';
import { readJsonBody, requestBaseUrl } from '../../shared/http-server';
import { replicateId } from '../../shared/ids';
import { isLoopbackUrl } from '../../shared/loopback';
import { CreatePredictionBodySchema, type Prediction } from '../prediction';
import type { PredictionRecord } from '../prediction-record';
import type { ReplicateCore } from '../replicate-core';
import { invalidVersion, malformedBody, throttled, validationFailed, webhookRefused } from '../replicate-errors';
import { planFor, type ReplicateModelKind } from '../replicate-models';
import { DEFAULT_WEBHOOK_EVENTS } from '../webhook-sender';

/** Which model a create request is for: a version id from the body, or an official model from the path. */
export type CreateTarget = { via: 'version' } | { via: 'model'; model: string; kind: ReplicateModelKind };

/**
 * `POST /v1/predictions` and `POST /v1/models/{owner}/{name}/predictions`: validates the body, the
 * version and the input, applies the script (429 before anything is created), and starts the
 * prediction. Answers the new prediction (201), after waiting for it under `Prefer: wait`.
 */
export async function createPrediction(core: ReplicateCore, request: FastifyRequest, target: CreateTarget): Promise<{ prediction: Prediction; record: PredictionRecord }> {
  core.counters.createRequests += 1;
  const raw = readJsonBody(request);
  if (!raw.ok) throw malformedBody(raw.message);
  const parsed = CreatePredictionBodySchema.safeParse(raw.value ?? {});
  if (!parsed.success) {
    core.counters.validationErrors += 1;
    throw validationFailed(parsed.error.issues, '');
  }
  const body = parsed.data;
  let kind: ReplicateModelKind;
  let version: string;
  if (target.via === 'version') {
    if (!body.version) {
      core.counters.validationErrors += 1;
      throw validationFailed([{ code: 'invalid_type', path: ['version'], message: 'Field required' }], '');
    }
    version = body.version.includes(':') ? body.version.slice(body.version.lastIndexOf(':') + 1) : body.version;
    const known = core.versions[version];
    if (!known) {
      core.counters.validationErrors += 1;
      throw invalidVersion();
    }
    kind = known;
  } else {
    kind = target.kind;
    version = Object.entries(core.versions).find(([, candidate]) => candidate === kind)?.[0] ?? 'hidden';
  }
  const planned = planFor(kind, body.input);
  if (!planned.ok) {
    core.counters.validationErrors += 1;
    throw validationFailed(planned.error.issues, 'input');
  }
  const unresolved = Object.entries(planned.inputs).filter(([, value]) => typeof value === 'string' && !core.files.resolvable(value));
  if (unresolved.length > 0) {
    core.counters.validationErrors += 1;
    throw validationFailed(unresolved.map(([field]) => ({ code: 'invalid_file', path: [field], message: 'the file URL names no uploaded file (deleted or never created)' })), 'input');
  }
  if (body.webhook !== undefined) {
    if (!URL.canParse(body.webhook) || !isLoopbackUrl(body.webhook)) {
      core.counters.validationErrors += 1;
      throw webhookRefused(body.webhook);
    }
  }

  const entry = core.script.take(JSON.stringify(body.input));
  const outcome = entry?.outcome ?? 'success';
  core.details.set(request, { version, kind, input: body.input, outcome, scriptId: entry?.id ?? null });
  if (outcome === 'rate_limited_then_success') {
    core.counters.rateLimited += 1;
    core.log.info({ scriptId: entry?.id }, 'Replicate simulator: scripted 429 on create');
    throw throttled();
  }

  const id = replicateId();
  const base = requestBaseUrl(request);
  const now = Date.now();
  const prediction: Prediction = {
    id,
    model: target.via === 'model' ? target.model : planned.plan.model,
    version,
    input: body.input,
    logs: '',
    output: null,
    data_removed: false,
    error: null,
    status: 'starting',
    source: 'api',
    created_at: new Date(now).toISOString(),
    started_at: null,
    completed_at: null,
    urls: { get: `${base}/v1/predictions/${id}`, cancel: `${base}/v1/predictions/${id}/cancel`, stream: `${base}/v1/streams/${id}` },
    metrics: {},
    ...(body.webhook !== undefined ? { webhook: body.webhook } : {}),
    ...(body.webhook_events_filter !== undefined ? { webhook_events_filter: body.webhook_events_filter } : {}),
  };
  const record: PredictionRecord = {
    prediction,
    kind,
    plan: planned.plan,
    outcome,
    ...(entry ? { scriptId: entry.id } : {}),
    serverErrorsLeft: outcome === 'server_error' ? (entry?.times ?? 1) : 0,
    ...(outcome === 'failed' && entry?.message ? { failure: entry.message } : {}),
    ...(outcome === 'server_error' && entry?.message ? { failure: entry.message } : {}),
    predictMs: entry?.latencyMs ?? core.settings.predictMs,
    baseUrl: base,
    createdAtMs: now,
    listeners: new Set(),
    deliveries: [],
    ...(body.webhook !== undefined
      ? { webhook: { url: body.webhook, events: new Set(body.webhook_events_filter ?? DEFAULT_WEBHOOK_EVENTS), chain: Promise.resolve(), lastLogsAt: 0 } }
      : {}),
  };
  core.predictions.add(record);
  core.counters.predictionsCreated += 1;
  core.details.set(request, { ...core.details.get(request), predictionId: id });
  core.log.info({ predictionId: id, model: prediction.model, version, outcome, webhook: body.webhook }, 'Replicate simulator: simulated prediction created (no model runs)');
  core.runner.start(record);
  if (entry?.answerDelayMs) await new Promise((resolve) => setTimeout(resolve, entry.answerDelayMs));

  const waitSeconds = preferWaitSeconds(request.headers.prefer);
  if (waitSeconds !== undefined) await waitForTerminal(record, waitSeconds * 1000);
  return { prediction: record.prediction, record };
}

/** Seconds asked for by `Prefer: wait` or `Prefer: wait=n` (at most 60), or undefined. */
function preferWaitSeconds(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header.join(',') : header;
  const match = value ? /(?:^|[,;\s])wait(?:=(\d+))?/i.exec(value) : null;
  if (!match) return undefined;
  return Math.min(60, Math.max(1, Number(match[1] ?? 60)));
}

/** Resolves when the prediction is final or after `ms`. */
export function waitForTerminal(record: PredictionRecord, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (!['starting', 'processing'].includes(record.prediction.status)) done();
    };
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      record.listeners.delete(check);
      resolve();
    }
    record.listeners.add(check);
    check();
  });
}
