import { pino } from 'pino';
import { prepareDataDir } from '../shared/data-dir';
import { resolveFfmpegPath } from '@vidgen/sim-kit';
import { createHttpApp, listen } from '../shared/http-server';
import { RequestLog } from '../shared/request-log';
import { ScriptBook, type ScriptEntry } from '../shared/script-book';
import { describeCredentials } from '../shared/settings';
import { VideoEncoder } from '../shared/video-encoder';
import { describeZodError } from '../shared/zod-message';
import { PredictionStore } from './prediction-record';
import { PredictionRunner } from './prediction-runner';
import { newReplicateCounters, type ReplicateCore } from './replicate-core';
import { DEFAULT_VERSIONS } from './replicate-models';
import { ReplicateSettingsSchema, type ReplicateSimulatorOptions } from './replicate-options';
import { ReplicateScriptSpecSchema, replicateUses, type ReplicateScriptSpec } from './replicate-script';
import { replicateState, type ReplicateSimState } from './replicate-state';
import { registerReplicateRoutes } from './routes';
import { newWebhookSecret } from './webhook-signature';
import { WebhookSender } from './webhook-sender';
import { UploadedFiles } from './uploaded-files';

/** A running Replicate simulator. */
export interface ReplicateSimulator {
  /** Server root, e.g. `http://127.0.0.1:8191`. */
  readonly url: string;
  /** The API base, `${url}/v1`: pass it as the replicate client's `baseUrl`. */
  readonly apiUrl: string;
  readonly port: number;
  /** The secret webhooks are signed with (also at `GET /v1/webhooks/default/secret`). */
  readonly webhookSecret: string;
  /** Adds a scripted outcome, as `POST /sim/script` does. */
  script(spec: ReplicateScriptSpec): ScriptEntry<ReplicateScriptSpec>;
  /** Removes every scripted outcome, as `DELETE /sim/script` does; returns how many there were. */
  clearScript(): number;
  /** Predictions, webhook deliveries, requests seen, counters and script (what `GET /sim/state` returns). */
  state(): ReplicateSimState;
  /** Stops serving, stops predictions, encoders and webhooks, and removes a data folder it created itself. */
  close(): Promise<void>;
}

/**
 * Starts a simulator of Replicate's HTTP API (predictions, cancel, webhooks with Replicate's
 * signatures, the default webhook secret) that stands in for SVD and AnimateDiff versions, with
 * scripted outcomes and real (synthetic) MP4 output. It is a test double, not Replicate: no model
 * runs, and webhooks only go to loopback URLs.
 */
export async function createReplicateSimulator(options: ReplicateSimulatorOptions = {}): Promise<ReplicateSimulator> {
  const { logger, ...rest } = options;
  const parsed = ReplicateSettingsSchema.safeParse(rest);
  if (!parsed.success) throw new Error(`invalid Replicate simulator options: ${describeZodError(parsed.error)}`);
  const settings = parsed.data;
  const log = (logger ?? pino({ name: 'replicate-sim', level: settings.logLevel })).child({ component: 'replicate-sim' });
  const dataDir = await prepareDataDir(settings.dataDir, 'replicate-sim');
  const stop = new AbortController();
  const webhookSecret = settings.webhookSecret ?? newWebhookSecret();
  const counters = newReplicateCounters();
  const webhooks = new WebhookSender(webhookSecret, settings.logsIntervalMs, log, stop.signal, {
    delivered: (_delivery, ok) => {
      if (ok) counters.webhooksSent += 1;
      else counters.webhooksFailed += 1;
    },
  });
  const runner = new PredictionRunner({
    startMs: settings.startMs,
    scale: settings.scale,
    dataDir: dataDir.root,
    encoder: new VideoEncoder(resolveFfmpegPath(settings.ffmpegPath), stop.signal),
    log,
    signal: stop.signal,
    emit(record, event) {
      webhooks.notify(record, event);
      for (const listener of [...record.listeners]) listener();
    },
  });
  const core: ReplicateCore = {
    settings,
    log,
    dataDir: dataDir.root,
    versions: { ...DEFAULT_VERSIONS, ...settings.versions },
    webhookSecret,
    predictions: new PredictionStore(),
    files: new UploadedFiles(dataDir.root),
    runner,
    script: new ScriptBook<ReplicateScriptSpec>(replicateUses),
    requests: new RequestLog(),
    details: new WeakMap(),
    counters,
    cancelCalls: [],
  };
  const app = createHttpApp();
  await registerReplicateRoutes(app, core);
  const { url, port } = await listen(app, settings.host, settings.port);
  log.info(
    { url, dataDir: dataDir.root, startMs: settings.startMs, predictMs: settings.predictMs, scale: settings.scale, versions: core.versions, tokens: describeCredentials(settings.token) },
    `Replicate simulator listening on ${url} (a test double of api.replicate.com, not Replicate: scripted outcomes, synthetic video)`,
  );

  let closing: Promise<void> | undefined;
  return {
    url,
    apiUrl: `${url}/v1`,
    port,
    webhookSecret,
    script(spec) {
      const entry = core.script.add(ReplicateScriptSpecSchema.parse(spec));
      log.info({ entry }, 'Replicate simulator: outcome scripted');
      return entry;
    },
    clearScript: () => core.script.clear(),
    state: () => replicateState(core),
    close() {
      closing ??= (async () => {
        stop.abort();
        for (const record of core.predictions.list()) {
          runner.halt(record);
          if (record.webhook?.logsTimer) clearTimeout(record.webhook.logsTimer);
        }
        await app.close();
        await webhooks.settled();
        await dataDir.dispose();
      })();
      return closing;
    },
  };
}
