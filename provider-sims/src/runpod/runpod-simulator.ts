import { pino } from 'pino';
import type { z } from 'zod';
import { createHttpApp, listen } from '../shared/http-server';
import { RequestLog } from '../shared/request-log';
import { describeCredentials } from '../shared/settings';
import { describeZodError } from '../shared/zod-message';
import { BillingLedger } from './billing-ledger';
import { PodFleet } from './pod-fleet';
import { newRunpodCounters, type RunpodCore } from './runpod-core';
import { RunpodSettingsSchema, type RunpodSimulatorOptions } from './runpod-options';
import { RunpodScript, RunpodScriptSpecSchema, type RunpodScriptEntry } from './runpod-script';
import { runpodState, type RunpodSimState } from './runpod-state';
import { registerRunpodRoutes } from './routes';

/** A running RunPod simulator. */
export interface RunpodSimulator {
  /** Server root, e.g. `http://127.0.0.1:8192`: pass it as the client's `baseUrl` (paths carry `/v2`). */
  readonly url: string;
  readonly port: number;
  /** Adds a scripted outcome, as `POST /sim/script` does. */
  script(spec: z.input<typeof RunpodScriptSpecSchema>): RunpodScriptEntry;
  /** Removes every scripted outcome; returns how many there were. */
  clearScript(): number;
  /** Sets how many GPUs of a type a data center has (held or free), e.g. to let another tenant take a stopped pod's GPU. */
  setStock(gpuTypeId: string, dataCenterId: string, gpus: number): void;
  /** Pods, billed spans, requests seen, counters and script (what `GET /sim/state` returns). */
  state(): RunpodSimState;
  /** Stops serving and waits for the hook calls under way. Pods are left as they are; no podStopped hook is called. */
  close(): Promise<void>;
}

/**
 * Starts a simulator of RunPod's REST API v2 pod and pod-billing routes: pods boot through
 * PROVISIONING and STARTING to RUNNING, GPU stock per data center and scripted capacity refusals,
 * network volumes that pin a pod to their data center, billing at each GPU type's hourly rate,
 * and hooks that stand something in for a pod's container. A test double, not RunPod.
 */
export async function createRunpodSimulator(options: RunpodSimulatorOptions = {}): Promise<RunpodSimulator> {
  const { logger, hooks, ...rest } = options;
  const parsed = RunpodSettingsSchema.safeParse(rest);
  if (!parsed.success) throw new Error(`invalid RunPod simulator options: ${describeZodError(parsed.error)}`);
  const settings = parsed.data;
  const log = (logger ?? pino({ name: 'runpod-sim', level: settings.logLevel })).child({ component: 'runpod-sim' });
  const ledger = new BillingLedger();
  const core: RunpodCore = {
    settings,
    log,
    ledger,
    fleet: new PodFleet(settings, ledger, hooks ?? {}, log),
    script: new RunpodScript(),
    requests: new RequestLog(),
    counters: newRunpodCounters(),
  };
  const app = createHttpApp();
  await registerRunpodRoutes(app, core);
  const { url, port } = await listen(app, settings.host, settings.port);
  log.info(
    { url, provisionMs: settings.provisionMs, bootMs: settings.bootMs, gpuTypes: Object.keys(settings.gpuTypes), dataCenters: settings.dataCenters, apiKeys: describeCredentials(settings.apiKey) },
    `RunPod simulator listening on ${url} (a test double of api.runpod.io/v2, not RunPod: no GPUs, scripted capacity)`,
  );

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    script(spec) {
      const entry = core.script.add(RunpodScriptSpecSchema.parse(spec));
      log.info({ entry }, 'RunPod simulator: outcome scripted');
      return entry;
    },
    clearScript: () => core.script.clear(),
    setStock(gpuTypeId, dataCenterId, gpus) {
      const gpuType = settings.gpuTypes[gpuTypeId];
      if (!gpuType) throw new Error(`unknown GPU type ${gpuTypeId}`);
      if (!settings.dataCenters.includes(dataCenterId)) throw new Error(`unknown data center ${dataCenterId}`);
      gpuType.stock = { ...Object.fromEntries(settings.dataCenters.map((id) => [id, gpuType.stock ? (gpuType.stock[id] ?? 0) : Number.MAX_SAFE_INTEGER])), [dataCenterId]: gpus };
    },
    state: () => runpodState(core),
    close() {
      closing ??= (async () => {
        await app.close();
        await core.fleet.close();
      })();
      return closing;
    },
  };
}
