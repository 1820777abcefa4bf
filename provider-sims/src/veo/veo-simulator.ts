import { pino } from 'pino';
import { prepareDataDir } from '../shared/data-dir';
import { resolveFfmpegPath } from '@vidgen/sim-kit';
import { createHttpApp, listen } from '../shared/http-server';
import { RequestLog } from '../shared/request-log';
import { ScriptBook, type ScriptEntry } from '../shared/script-book';
import { describeCredentials } from '../shared/settings';
import { VideoEncoder } from '../shared/video-encoder';
import { describeZodError } from '../shared/zod-message';
import { registerVeoRoutes } from './routes';
import { newVeoCounters, type VeoCore } from './veo-core';
import { VeoFileStore } from './veo-files';
import { VeoOperationStore } from './veo-operations';
import { VeoSettingsSchema, type VeoSimulatorOptions } from './veo-options';
import { VeoScriptSpecSchema, veoUses, type VeoScriptSpec } from './veo-script';
import { veoState, type VeoSimState } from './veo-state';

/** A running Veo simulator. */
export interface VeoSimulator {
  /** Base URL, e.g. `http://127.0.0.1:8190`: pass it as @google/genai's `httpOptions.baseUrl`. */
  readonly url: string;
  readonly port: number;
  /** Adds a scripted outcome, as `POST /sim/script` does. */
  script(spec: VeoScriptSpec): ScriptEntry<VeoScriptSpec>;
  /** Removes every scripted outcome, as `DELETE /sim/script` does; returns how many there were. */
  clearScript(): number;
  /** Operations, requests seen, counters and script (what `GET /sim/state` returns). */
  state(): VeoSimState;
  /** Stops serving, stops encoders and removes a data folder it created itself. */
  close(): Promise<void>;
}

/**
 * Starts a simulator of the Gemini API's Veo routes (`predictLongRunning`, operations, file
 * download) with scripted outcomes and real (synthetic) MP4 output. It is a test double, not the
 * Gemini API: no model runs and nothing leaves this machine.
 */
export async function createVeoSimulator(options: VeoSimulatorOptions = {}): Promise<VeoSimulator> {
  const { logger, ...rest } = options;
  const parsed = VeoSettingsSchema.safeParse(rest);
  if (!parsed.success) throw new Error(`invalid Veo simulator options: ${describeZodError(parsed.error)}`);
  const settings = parsed.data;
  const log = (logger ?? pino({ name: 'veo-sim', level: settings.logLevel })).child({ component: 'veo-sim' });
  const dataDir = await prepareDataDir(settings.dataDir, 'veo-sim');
  const stop = new AbortController();
  const files = new VeoFileStore(dataDir.root, new VideoEncoder(resolveFfmpegPath(settings.ffmpegPath), stop.signal), settings.retentionMs, log);
  const core: VeoCore = {
    settings,
    log,
    dataDir: dataDir.root,
    files,
    operations: new VeoOperationStore(),
    script: new ScriptBook<VeoScriptSpec>(veoUses),
    requests: new RequestLog(),
    details: new WeakMap(),
    counters: newVeoCounters(),
  };
  const app = createHttpApp();
  await registerVeoRoutes(app, core);
  const { url, port } = await listen(app, settings.host, settings.port);
  log.info(
    { url, dataDir: dataDir.root, latencyMs: settings.latencyMs ?? 'realistic', timeScale: settings.timeScale, apiKeys: describeCredentials(settings.apiKey) },
    `Veo simulator listening on ${url} (a test double of the Gemini API, not Google: scripted outcomes, synthetic video)`,
  );

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    script(spec) {
      const entry = core.script.add(VeoScriptSpecSchema.parse(spec));
      log.info({ entry }, 'Veo simulator: outcome scripted');
      return entry;
    },
    clearScript: () => core.script.clear(),
    state: () => veoState(core),
    close() {
      closing ??= (async () => {
        stop.abort();
        await app.close();
        await files.settled();
        await dataDir.dispose();
      })();
      return closing;
    },
  };
}
