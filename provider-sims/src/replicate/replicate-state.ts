import type { SeenRequest } from '../shared/request-log';
import { evenSize } from '../shared/video-encoder';
import type { ScriptEntry } from '../shared/script-book';
import type { Prediction } from './prediction';
import type { WebhookDelivery } from './prediction-record';
import type { CancelCall, ReplicateCore, ReplicateCounters } from './replicate-core';
import type { ReplicateModelKind } from './replicate-models';
import type { ReplicateScriptSpec } from './replicate-script';

/** One prediction as `GET /sim/state` lists it. */
export interface ReplicatePredictionState {
  prediction: Prediction;
  kind: ReplicateModelKind;
  outcome: string;
  scriptId: number | null;
  video: { width: number; height: number; frames: number; fps: number } | null;
  webhook: { url: string; events: string[] } | null;
  deliveries: WebhookDelivery[];
}

/** What `GET /sim/state` reports. */
export interface ReplicateSimState {
  simulator: 'replicate-sim';
  note: string;
  dataDir: string;
  versions: Record<string, ReplicateModelKind>;
  predictions: ReplicatePredictionState[];
  requests: SeenRequest[];
  /** Every cancel call received, in order: what a test checks to prove a prediction was cancelled. */
  cancelCalls: CancelCall[];
  counters: ReplicateCounters;
  script: Array<ScriptEntry<ReplicateScriptSpec>>;
}

/** A snapshot of the simulator's state. */
export function replicateState(core: ReplicateCore): ReplicateSimState {
  const scale = core.settings.scale;
  return {
    simulator: 'replicate-sim',
    note: 'a Replicate API simulator for tests: not Replicate, scripted outcomes and synthetic video',
    dataDir: core.dataDir,
    versions: { ...core.versions },
    predictions: core.predictions.list().map((record) => ({
      prediction: structuredClone(record.prediction),
      kind: record.kind,
      outcome: record.outcome,
      scriptId: record.scriptId ?? null,
      video: record.filePath
        ? { width: evenSize(record.plan.width * scale), height: evenSize(record.plan.height * scale), frames: record.plan.frames, fps: record.plan.fps }
        : null,
      webhook: record.webhook ? { url: record.webhook.url, events: [...record.webhook.events] } : null,
      deliveries: record.deliveries.map((delivery) => ({ ...delivery })),
    })),
    requests: core.requests.list(),
    cancelCalls: core.cancelCalls.map((call) => ({ ...call })),
    counters: { ...core.counters },
    script: core.script.list(),
  };
}
