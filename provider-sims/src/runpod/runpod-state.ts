import type { SeenRequest } from '../shared/request-log';
import type { BilledSpan } from './billing-ledger';
import { podJson } from './pod-record';
import type { RunpodCore, RunpodCounters } from './runpod-core';
import type { RunpodScriptEntry } from './runpod-script';

/** What `GET /sim/state` reports. */
export interface RunpodSimState {
  simulator: 'runpod-sim';
  note: string;
  /** The pods as `GET /v2/pods` answers them. */
  pods: Array<Record<string, unknown>>;
  /** Every billed span, terminated pods' included. */
  billing: BilledSpan[];
  /** GPUs of each type held per data center. */
  heldGpus: Record<string, Record<string, number>>;
  requests: SeenRequest[];
  counters: RunpodCounters;
  script: RunpodScriptEntry[];
}

/** A snapshot of the simulator's state. */
export function runpodState(core: RunpodCore): RunpodSimState {
  const now = Date.now();
  const heldGpus: Record<string, Record<string, number>> = {};
  for (const gpuTypeId of Object.keys(core.settings.gpuTypes)) {
    for (const dataCenterId of core.settings.dataCenters) {
      const held = core.fleet.held(gpuTypeId, dataCenterId);
      if (held > 0) (heldGpus[gpuTypeId] ??= {})[dataCenterId] = held;
    }
  }
  return {
    simulator: 'runpod-sim',
    note: 'a RunPod REST API v2 simulator for tests: not RunPod, no GPUs, pods stand in through hooks',
    pods: core.fleet.list().map((pod) => podJson(pod, core.fleet.rate(pod), now)),
    billing: core.ledger.list(),
    heldGpus,
    requests: core.requests.list(),
    counters: { ...core.counters },
    script: core.script.list(),
  };
}
