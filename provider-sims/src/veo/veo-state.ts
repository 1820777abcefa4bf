import type { SeenRequest } from '../shared/request-log';
import type { ScriptEntry } from '../shared/script-book';
import type { VeoCore, VeoCounters } from './veo-core';
import { isDone } from './veo-operations';
import type { VeoScriptSpec } from './veo-script';

/** One operation as `GET /sim/state` lists it. */
export interface VeoOperationState {
  name: string;
  model: string;
  prompt: string;
  instance: Record<string, unknown>;
  parameters: Record<string, unknown>;
  outcome: string;
  done: boolean;
  polls: number;
  createdAt: string;
  doneAt: string | null;
  extends: string | null;
  durationSeconds: number;
  files: Array<{ id: string; width: number; height: number; durationSeconds: number }>;
  scriptId: number | null;
}

/** What `GET /sim/state` reports. */
export interface VeoSimState {
  simulator: 'veo-sim';
  note: string;
  dataDir: string;
  /** Fixed create → done time, or null for realistic times scaled by `timeScale`. */
  latencyMs: number | null;
  timeScale: number;
  operations: VeoOperationState[];
  requests: SeenRequest[];
  counters: VeoCounters;
  script: Array<ScriptEntry<VeoScriptSpec>>;
}

/** A snapshot of the simulator's state. */
export function veoState(core: VeoCore): VeoSimState {
  const now = Date.now();
  return {
    simulator: 'veo-sim',
    note: 'a Gemini API (Veo) simulator for tests: not the Gemini API, scripted outcomes and synthetic video',
    dataDir: core.dataDir,
    latencyMs: core.settings.latencyMs ?? null,
    timeScale: core.settings.timeScale,
    operations: core.operations.list().map((operation) => ({
      name: operation.name,
      model: operation.request.model,
      prompt: operation.request.prompt,
      instance: operation.request.instance,
      parameters: operation.request.parameters,
      outcome: operation.outcome,
      done: isDone(operation, now),
      polls: operation.polls,
      createdAt: new Date(operation.createdAt).toISOString(),
      doneAt: operation.doneAt === null ? null : new Date(operation.doneAt).toISOString(),
      extends: operation.request.extends?.id ?? null,
      durationSeconds: operation.request.durationSeconds,
      files: operation.files.map(({ id, width, height, durationSeconds }) => ({ id, width, height, durationSeconds })),
      scriptId: operation.scriptId ?? null,
    })),
    requests: core.requests.list(),
    counters: { ...core.counters },
    script: core.script.list(),
  };
}
