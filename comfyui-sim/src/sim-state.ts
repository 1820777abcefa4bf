import type { Fault } from './faults/faults';
import type { Timing } from './options';
import type { RouteContext } from './routes/context';
import type { Counters, LoadedModel } from './sim-core';

/** What `GET /sim/state` reports. */
export interface SimState {
  simulator: 'comfyui-sim';
  note: string;
  dataDir: string;
  queue: { running: string | null; runningNode: string | null; pending: string[] };
  loadedModels: LoadedModel[];
  cachedNodeResults: number;
  connectedClients: number;
  historySize: number;
  faults: Fault[];
  counters: Counters;
  timing: Timing;
}

/** A snapshot of the simulator's state. */
export function simState({ core, executor }: RouteContext): SimState {
  const running = executor.running;
  return {
    simulator: 'comfyui-sim',
    note: 'a ComfyUI simulator: not ComfyUI, no GPU',
    dataDir: core.dirs.root,
    queue: {
      running: running?.promptId ?? null,
      runningNode: running?.currentNode ?? null,
      pending: core.queue.pendingItems().map((item) => item.promptId),
    },
    loadedModels: [...core.loadedModels.values()],
    cachedNodeResults: core.cache.size,
    connectedClients: core.hub.size,
    historySize: core.history.size,
    faults: core.faults.list(),
    counters: { ...core.counters },
    timing: { ...core.timing },
  };
}
