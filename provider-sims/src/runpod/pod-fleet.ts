import type { Logger } from 'pino';
import type { BillingLedger } from './billing-ledger';
import type { PodDownReason, RunpodPodHooks } from './pod-hooks';
import { ACTIONS, HOLDS_GPU, hookPod, type PodAction, type PodRecord } from './pod-record';
import { resumeOnHost, type HeldGpus } from './placement';
import { conflict } from './runpod-errors';
import type { RunpodSettings } from './runpod-options';

/** What a new pod is made of, once placed. */
export type NewPod = Pick<
  PodRecord,
  'id' | 'name' | 'image' | 'args' | 'disk' | 'ports' | 'env' | 'registry' | 'mounts' | 'gpuTypeId' | 'gpuCount' | 'cloud' | 'dataCenterId' | 'globalNetworking'
>;

/**
 * The simulated pods and their lifecycle: PROVISIONING for `provisionMs`, STARTING for `bootMs`,
 * then the podStarting hook, then RUNNING. A pod is billed while it holds its GPU (from create or
 * start until stop, error or terminate).
 */
export class PodFleet {
  private readonly pods = new Map<string, PodRecord>();
  private closed = false;

  constructor(
    private readonly settings: RunpodSettings,
    private readonly ledger: BillingLedger,
    private readonly hooks: RunpodPodHooks,
    private readonly log: Logger,
  ) {}

  /** GPUs of a type that pods hold in a data center. */
  readonly held: HeldGpus = (gpuTypeId, dataCenterId) => {
    let count = 0;
    for (const pod of this.pods.values()) if (pod.gpuTypeId === gpuTypeId && pod.dataCenterId === dataCenterId && HOLDS_GPU.has(pod.status)) count += pod.gpuCount;
    return count;
  };

  get(id: string): PodRecord | undefined {
    return this.pods.get(id);
  }

  list(): PodRecord[] {
    return [...this.pods.values()];
  }

  rate(pod: PodRecord): number {
    return this.settings.gpuTypes[pod.gpuTypeId]?.hourlyRate ?? 0;
  }

  create(fields: NewPod): PodRecord {
    const pod: PodRecord = { ...fields, locked: false, status: 'PROVISIONING', createdAt: Date.now(), startedAt: null, generation: 0, timer: undefined, containerUp: false, hooks: Promise.resolve() };
    this.pods.set(pod.id, pod);
    this.boot(pod);
    return pod;
  }

  /** Applies an action valid in the pod's status (409 otherwise); a start needs its host to have the GPU free. */
  act(pod: PodRecord, action: PodAction): void {
    if (!ACTIONS[pod.status].includes(action)) throw conflict(`cannot ${action} a pod that is ${pod.status}`);
    if (action === 'terminate') return this.terminate(pod);
    if (pod.locked && action === 'stop') throw conflict('the pod is locked');
    if (action === 'start') {
      const refusal = resumeOnHost(this.settings, this.held, pod.gpuTypeId, pod.dataCenterId, pod.gpuCount);
      if (refusal) throw refusal;
      this.boot(pod);
    } else if (action === 'stop') {
      this.down(pod, 'EXITED', 'stop');
    } else {
      this.transition(pod, 'STARTING');
      this.goingDown(pod, 'restart');
      pod.timer = setTimeout(() => this.containerStart(pod, pod.generation), this.settings.bootMs);
    }
  }

  terminate(pod: PodRecord): void {
    this.down(pod, 'TERMINATED', 'terminate');
    this.pods.delete(pod.id);
  }

  /** Stops every timer and waits for the hook calls under way. */
  async close(): Promise<void> {
    this.closed = true;
    for (const pod of this.pods.values()) clearTimeout(pod.timer);
    await Promise.all([...this.pods.values()].map((pod) => pod.hooks));
  }

  private boot(pod: PodRecord): void {
    this.transition(pod, 'PROVISIONING');
    this.ledger.open({ podId: pod.id, gpuTypeId: pod.gpuTypeId, gpuCount: pod.gpuCount, hourlyRate: this.rate(pod), start: Date.now() });
    const generation = pod.generation;
    pod.timer = setTimeout(() => {
      if (pod.generation !== generation) return;
      pod.status = 'STARTING';
      pod.timer = setTimeout(() => this.containerStart(pod, generation), this.settings.bootMs);
    }, this.settings.provisionMs);
  }

  /** The boot time is over: the podStarting hook stands the container up, then the pod is RUNNING. */
  private containerStart(pod: PodRecord, generation: number): void {
    if (pod.generation !== generation || this.closed) return;
    this.chain(pod, async () => {
      if (pod.generation !== generation) return;
      try {
        await this.hooks.podStarting?.(hookPod(pod));
      } catch (error) {
        this.log.warn({ err: error, podId: pod.id }, 'RunPod simulator: podStarting hook failed, the pod is in ERROR');
        if (pod.generation === generation) this.down(pod, 'ERROR', undefined);
        return;
      }
      pod.containerUp = true;
      if (pod.generation !== generation) return;
      pod.status = 'RUNNING';
      pod.startedAt = Date.now();
    });
  }

  private down(pod: PodRecord, status: 'EXITED' | 'ERROR' | 'TERMINATED', reason: PodDownReason | undefined): void {
    const billed = HOLDS_GPU.has(pod.status);
    this.transition(pod, status);
    if (billed) this.ledger.close(pod.id, Date.now());
    if (reason) this.goingDown(pod, reason);
  }

  /** Queues podStopped for a pod whose container is (or is about to be) up. */
  private goingDown(pod: PodRecord, reason: PodDownReason): void {
    this.chain(pod, async () => {
      if (!pod.containerUp) return;
      pod.containerUp = false;
      await this.hooks.podStopped?.(hookPod(pod), reason);
    });
  }

  private transition(pod: PodRecord, status: PodRecord['status']): void {
    clearTimeout(pod.timer);
    pod.timer = undefined;
    pod.generation += 1;
    pod.status = status;
  }

  private chain(pod: PodRecord, step: () => Promise<void>): void {
    pod.hooks = pod.hooks.then(step).catch((error: unknown) => {
      this.log.warn({ err: error, podId: pod.id }, 'RunPod simulator: a pod hook failed');
    });
  }
}
