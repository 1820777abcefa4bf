import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { PodDownReason, RunpodHookPod, RunpodPodHooks } from '../../provider-sims/src/simulators';
import type { ComponentExit } from './component-exit';
import { gpuPair, type GpuPair } from './gpu-pair';

/** How many RunPod pods can run at once in a local stack: each takes a worker port and a ComfyUI port from its slot. */
export const FLEET_POD_SLOTS = 8;

/** A pod of the RunPod simulator, as the stack runs it. */
export interface LocalPod {
  podId: string;
  workerId: string;
  url: string;
  pid: number | undefined;
  comfyuiUrl: string;
  comfyuiPid: number | undefined;
  /** Why the worker is not running, when it exited at start-up (a bad template): the pod stays RUNNING, as on RunPod. */
  workerDown?: string;
}

export interface LocalPodsSpec {
  node: string;
  root: string;
  stateDir: string;
  logDir: string;
  /** First port of the pods' workers and of their ComfyUI simulators; slot i takes base + i. */
  workerPort: number;
  comfyPort: number;
  simStepMs: number;
  /** What every pod's worker sees besides its pod's own environment: the emulators, the secrets, the timing. */
  workerEnv: Record<string, string>;
  /** The pods changed (one came up, went down or had a process restarted). */
  onChange(): void;
  /** A pod's process died: it is being restarted, or (after a crash loop) left down, which the pod's record says. */
  onExit(exit: ComponentExit): void;
}

/**
 * Stands a GPU worker and a ComfyUI simulator in for each RunPod pod's container: the RunPod
 * simulator's hooks start them when a pod's boot is over and stop them when it is stopped or
 * terminated. The worker gets the pod's environment (its `WORKER_ID` is the pod's name) and
 * `RUNPOD_POD_ID`, as on RunPod.
 */
export class LocalPods implements RunpodPodHooks {
  private readonly running = new Map<string, { slot: number; pair: GpuPair; pod: LocalPod }>();
  private readonly slots = new Set<number>();

  constructor(private readonly spec: LocalPodsSpec) {}

  async podStarting(hookPod: RunpodHookPod): Promise<void> {
    // Pods boot side by side: the slot is taken before anything is awaited.
    const slot = [...Array(FLEET_POD_SLOTS).keys()].find((i) => !this.slots.has(i));
    if (slot === undefined) throw new Error(`the local stack runs at most ${FLEET_POD_SLOTS} pods at once`);
    this.slots.add(slot);
    try {
      await this.startPair(hookPod, slot);
    } catch (error) {
      this.slots.delete(slot);
      throw error;
    }
  }

  private async startPair(hookPod: RunpodHookPod, slot: number): Promise<void> {
    const { spec } = this;
    const workerId = hookPod.env.WORKER_ID ?? `runpod-${hookPod.id}`;
    const dataDir = join(spec.stateDir, 'pods', hookPod.id);
    mkdirSync(dataDir, { recursive: true });
    const pair = gpuPair({
      node: spec.node,
      root: spec.root,
      workerId,
      workerPort: spec.workerPort + slot,
      comfyName: `comfyui-sim-${workerId}`,
      comfyPort: spec.comfyPort + slot,
      comfyDataDir: join(dataDir, 'comfyui'),
      workDir: join(dataDir, 'work'),
      logDir: spec.logDir,
      simStepMs: spec.simStepMs,
      workerEnv: { ...spec.workerEnv, ...hookPod.env, RUNPOD_POD_ID: hookPod.id },
    });
    const pod: LocalPod = { podId: hookPod.id, workerId, url: pair.workerUrl, pid: undefined, comfyuiUrl: pair.comfyuiUrl, comfyuiPid: undefined };
    for (const proc of [pair.comfy, pair.worker]) {
      // A pod's crash loop is the pod's problem, as on RunPod (the controller replaces a pod whose
      // worker stops heartbeating), never the stack's: it is reported, and the stack stays up.
      proc.onExit = (exit) => {
        if (exit.outcome === 'fatal') {
          pod.workerDown = `${exit.component} exited ${exit.restarts} time(s) in a row and was left down`;
          spec.onChange();
        }
        spec.onExit({ ...exit, outcome: 'restarting' });
      };
      proc.onRestart = () => this.refresh(pod, pair);
    }
    try {
      await pair.comfy.start();
    } catch (error) {
      await pair.comfy.stop();
      throw error;
    }
    try {
      await pair.worker.start();
    } catch (error) {
      // RunPod reports a pod RUNNING once its container starts, whatever the program in it does: a
      // worker that cannot start leaves a pod that never registers, which the controller replaces.
      await pair.worker.stop();
      pod.workerDown = (error as Error).message;
    }
    this.running.set(hookPod.id, { slot, pair, pod });
    this.refresh(pod, pair);
  }

  async podStopped(hookPod: RunpodHookPod, reason: PodDownReason): Promise<void> {
    const entry = this.running.get(hookPod.id);
    if (!entry) return;
    this.running.delete(hookPod.id);
    try {
      await stopPair(entry.pair);
    } finally {
      this.slots.delete(entry.slot);
      // A stopped pod keeps its disk; a terminated one loses it.
      if (reason === 'terminate') rmSync(join(this.spec.stateDir, 'pods', hookPod.id), { recursive: true, force: true });
      this.spec.onChange();
    }
  }

  /** The pods whose container is up. */
  list(): LocalPod[] {
    return [...this.running.values()].map((entry) => entry.pod);
  }

  /** Stops every pod's processes (the stack is stopping; RunPod's view of the pods is left as it is). */
  async stopAll(): Promise<void> {
    const entries = [...this.running.values()];
    this.running.clear();
    this.slots.clear();
    await Promise.allSettled(entries.map(({ pair }) => stopPair(pair)));
  }

  private refresh(pod: LocalPod, pair: GpuPair): void {
    pod.pid = pair.worker.pid;
    pod.comfyuiPid = pair.comfy.pid;
    this.spec.onChange();
  }
}

/** The worker first (it hands back what it runs), then its ComfyUI simulator, whatever the first stop did. */
async function stopPair(pair: GpuPair): Promise<void> {
  try {
    await pair.worker.stop();
  } finally {
    await pair.comfy.stop();
  }
}
