/** What a hook learns about a pod. */
export interface RunpodHookPod {
  id: string;
  name: string;
  gpuTypeId: string;
  gpuCount: number;
  dataCenterId: string;
  image: string;
  env: Record<string, string>;
  ports: string[];
}

/** Why a pod went down. */
export type PodDownReason = 'stop' | 'restart' | 'terminate';

/**
 * Callbacks that let a test or a local stack stand something in for a pod's container, e.g. a
 * worker and a ComfyUI simulator. Calls for one pod never overlap: each waits for the one before.
 */
export interface RunpodPodHooks {
  /**
   * The pod's boot time is over and its container starts. The pod turns RUNNING when this
   * resolves, and ERROR when it rejects.
   */
  podStarting?(pod: RunpodHookPod): void | Promise<void>;
  /** A pod whose container was started (podStarting resolved) is stopped, restarted or terminated. */
  podStopped?(pod: RunpodHookPod, reason: PodDownReason): void | Promise<void>;
}
