import { setTimeout as delay } from 'node:timers/promises';
import { modelSizeBytes } from '../catalogue/models';
import type { SimCore } from '../sim-core';
import { Halted, Interrupted, PromptLost, failureForFault } from './failures';
import type { PromptRun } from './prompt-run';

/** What a node's simulated implementation can do while it runs. */
export interface NodeRunApi {
  readonly nodeId: string;
  readonly classType: string;
  readonly core: SimCore;
  /** Waits, unless the simulator stops (then throws {@link Halted}). */
  sleep(ms: number): Promise<void>;
  /** A progress tick (sampler step, video frame): interrupt check, messages, faults. */
  progress(value: number, max: number): Promise<void>;
  /** For nodes without progress: faults aimed at this node fire here. */
  checkpoint(): Promise<void>;
  /** A loader reads a model file: slow the first time, until models are unloaded. */
  loadModel(folder: string, file: string): Promise<void>;
}

/** ComfyUI checks the interrupt flag when a node starts and at every progress tick. */
export function throwIfInterrupted(run: PromptRun): void {
  if (run.interrupted) throw new Interrupted();
}

/** The API for one node of one run. */
export function createNodeApi(core: SimCore, run: PromptRun, nodeId: string, classType: string, modelPath: () => string): NodeRunApi {
  const sleep = async (ms: number): Promise<void> => {
    if (core.signal.aborted) throw new Halted();
    if (ms <= 0) return;
    try {
      await delay(ms, undefined, { signal: core.signal });
    } catch {
      throw new Halted();
    }
  };

  const stayStuck = async (): Promise<void> => {
    const generation = core.faults.generation;
    while (core.faults.generation === generation) {
      throwIfInterrupted(run);
      await sleep(20);
    }
  };

  const fireFaults = async (step: number, maxStep: number): Promise<void> => {
    const fault = core.faults.take({ texts: run.texts, classType, step, maxStep });
    if (!fault) return;
    core.counters.faultsFired += 1;
    core.log.info({ promptId: run.promptId, nodeId, classType, step, fault: fault.kind }, 'fault fired');
    switch (fault.kind) {
      case 'oom':
      case 'file_not_found':
      case 'exception':
        throw failureForFault(fault.kind, classType, step, modelPath());
      case 'drop_socket':
        if (run.clientId !== undefined) core.hub.terminate(run.clientId);
        return;
      case 'exit':
        core.die();
        throw new Halted();
      case 'stuck':
        await stayStuck();
        return;
      case 'lose_prompt':
        throw new PromptLost();
    }
  };

  return {
    nodeId,
    classType,
    core,
    sleep,
    async progress(value, max) {
      throwIfInterrupted(run);
      run.updateProgress(nodeId, value, max);
      await fireFaults(value, max);
    },
    async checkpoint() {
      await fireFaults(1, 1);
    },
    async loadModel(folder, file) {
      const key = `${folder}/${file}`;
      if (core.loadedModels.has(key)) return;
      await sleep(core.timing.modelLoadMs);
      core.loadedModels.set(key, { folder, file, sizeBytes: modelSizeBytes(folder, file) });
    },
  };
}
