import { join } from 'node:path';
import { httpReady, ManagedProcess } from './managed-process';
import { HOST } from './ports';

/**
 * V8's heap flags for a GPU worker, as the worker image gives them (gpu-worker/runpod/start.sh). The
 * worker keeps about 50 MB after a full collection whatever it has run; without a limit V8 sizes its
 * old space from the machine's memory and, under a steady load of jobs, grows it in steps to several
 * times that and keeps it (the soak measured RSS 310 → 435 MB over 300 jobs). At 128 MB it collects
 * sooner and RSS stays flat. The limit alone makes V8 size the young generation from it instead
 * (64 MB semi-spaces: a heap limit of 335 MB rather than 184), which an old space of 128 MB with
 * 50 MB live cannot promote into, so V8 collects in full where it would scavenge: the worker took
 * 1.2 cores instead of 0.2 and the soak ran 40% longer. The semi-spaces keep their default, 16 MB.
 */
export const WORKER_NODE_FLAGS = ['--max-old-space-size=128', '--max-semi-space-size=16'];

/** One GPU worker and the ComfyUI simulator it drives: what a pod runs, as local processes. */
export interface GpuPairSpec {
  /** The Node binary both run on. */
  node: string;
  root: string;
  workerId: string;
  workerPort: number;
  /** The ComfyUI simulator's name in the logs and on the console. */
  comfyName: string;
  comfyPort: number;
  /** ComfyUI's input, output and temp folders go under here. */
  comfyDataDir: string;
  /** The worker's own work folder. */
  workDir: string;
  logDir: string;
  simStepMs: number;
  /** The worker's environment: the emulators', its secrets, its timing, and anything else it should see. */
  workerEnv: Record<string, string>;
}

export interface GpuPair {
  comfy: ManagedProcess;
  worker: ManagedProcess;
  workerUrl: string;
  comfyuiUrl: string;
}

/** The processes of a worker and its ComfyUI simulator, not started; both restart when they die, as a pod's would. */
export function gpuPair(spec: GpuPairSpec): GpuPair {
  const { node, root, workerId, workerPort, comfyName, comfyPort, comfyDataDir, logDir } = spec;
  const comfyuiUrl = `http://${HOST}:${comfyPort}`;
  const workerUrl = `http://${HOST}:${workerPort}`;
  const comfy = new ManagedProcess({
    name: comfyName,
    command: node,
    args: [join(root, 'comfyui-sim', 'dist', 'index.js'), '--host', HOST, '--port', String(comfyPort), '--data-dir', comfyDataDir, '--step-ms', String(spec.simStepMs)],
    logFile: join(logDir, `${comfyName}.log`),
    ready: httpReady(`${comfyuiUrl}/system_stats`, { what: 'the ComfyUI simulator', accepts: (body) => body.includes('comfyui-sim') }),
    ports: [comfyPort],
    restart: true,
  });
  const worker = new ManagedProcess({
    name: workerId,
    command: node,
    // V8's heap limit as in the worker image, so that the bench measures what a pod runs.
    args: [...WORKER_NODE_FLAGS, join(root, 'gpu-worker', 'dist', 'index.js')],
    env: {
      ...spec.workerEnv,
      WORKER_ID: workerId,
      HOST,
      PORT: String(workerPort),
      WORKER_PUBLIC_URL: workerUrl,
      COMFYUI_URL: comfyuiUrl,
      // As on a pod, the worker sees ComfyUI's folders and removes each attempt's files there.
      COMFYUI_OUTPUT_DIR: join(comfyDataDir, 'output'),
      COMFYUI_INPUT_DIR: join(comfyDataDir, 'input'),
      COMFYUI_TEMP_DIR: join(comfyDataDir, 'temp'),
      WORK_DIR: spec.workDir,
    },
    logFile: join(logDir, `${workerId}.log`),
    ready: httpReady(`${workerUrl}/health`, { what: 'a GPU worker', accepts: (body) => JSON.parse(body).status === 'ok' }),
    ports: [workerPort],
    restart: true,
  });
  return { comfy, worker, workerUrl, comfyuiUrl };
}
