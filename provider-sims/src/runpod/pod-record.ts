import type { RunpodHookPod } from './pod-hooks';

export type PodStatus = 'PROVISIONING' | 'STARTING' | 'RUNNING' | 'EXITED' | 'ERROR' | 'TERMINATED';
export type PodAction = 'start' | 'stop' | 'restart' | 'terminate';

/** A pod as the simulator keeps it. */
export interface PodRecord {
  id: string;
  name: string;
  image: string;
  args: string;
  disk: number;
  ports: string[];
  env: Record<string, string>;
  registry: string | null;
  mounts: { persistent?: { size: number; path: string }; network?: Array<{ volumeId: string; path: string }> };
  gpuTypeId: string;
  gpuCount: number;
  cloud: 'SECURE' | 'COMMUNITY';
  dataCenterId: string;
  locked: boolean;
  globalNetworking: boolean;
  status: PodStatus;
  createdAt: number;
  /** When the container last started (RUNNING), null before. */
  startedAt: number | null;
  /** Bumped on every transition, so a timer or hook set for an older one does nothing. */
  generation: number;
  timer: NodeJS.Timeout | undefined;
  /** Whether podStarting resolved for the current run, so podStopped is owed when it ends. */
  containerUp: boolean;
  /** The chain of hook calls for this pod; each waits for the one before. */
  hooks: Promise<void>;
}

/** The actions valid in each status, as RunPod publishes them in `actions`. */
export const ACTIONS: Record<PodStatus, PodAction[]> = {
  PROVISIONING: ['stop', 'terminate'],
  STARTING: ['stop', 'terminate'],
  RUNNING: ['stop', 'restart', 'terminate'],
  EXITED: ['start', 'terminate'],
  ERROR: ['start', 'terminate'],
  TERMINATED: [],
};

/** Statuses in which the pod holds its GPU and is billed. */
export const HOLDS_GPU: ReadonlySet<PodStatus> = new Set(['PROVISIONING', 'STARTING', 'RUNNING']);

/** The pod as RunPod's API answers it (OpenAPI `Pod`). */
export function podJson(pod: PodRecord, hourlyRate: number, now: number): Record<string, unknown> {
  const running = pod.status === 'RUNNING';
  return {
    id: pod.id,
    name: pod.name,
    image: pod.image,
    args: pod.args,
    disk: pod.disk,
    ports: [...pod.ports],
    env: { ...pod.env },
    registry: pod.registry,
    status: pod.status,
    actions: [...ACTIONS[pod.status]],
    mounts: structuredClone(pod.mounts),
    gpu: { id: pod.gpuTypeId, count: pod.gpuCount },
    cloud: pod.cloud,
    dataCenterId: pod.dataCenterId,
    cudaVersion: '12.8',
    ssh: { proxy: { host: 'ssh.runpod.io', port: 22, username: `${pod.id}-sim`, command: `ssh ${pod.id}-sim@ssh.runpod.io` }, direct: null },
    template: null,
    cost: HOLDS_GPU.has(pod.status) ? round(hourlyRate * pod.gpuCount) : 0,
    locked: pod.locked,
    globalNetworking: { enabled: pod.globalNetworking },
    runtime: running && pod.startedAt !== null ? { uptime: Math.floor((now - pod.startedAt) / 1000), ports: [] } : null,
    createdAt: iso(pod.createdAt),
    startedAt: pod.startedAt === null ? null : iso(pod.startedAt),
  };
}

/** What the hooks are told about a pod. */
export function hookPod(pod: PodRecord): RunpodHookPod {
  return {
    id: pod.id,
    name: pod.name,
    gpuTypeId: pod.gpuTypeId,
    gpuCount: pod.gpuCount,
    dataCenterId: pod.dataCenterId,
    image: pod.image,
    env: { ...pod.env },
    ports: [...pod.ports],
  };
}

function iso(t: number): string {
  return new Date(t).toISOString();
}

function round(amount: number): number {
  return Math.round(amount * 10_000) / 10_000;
}
