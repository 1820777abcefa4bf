import { RunpodClient, type Pod, type PodStatus } from '@vidgen/runpod';
import { createRunpodSimulator, type RunpodSimulator, type RunpodSimulatorOptions } from '../../src/simulators';
import { until } from './wait';

export const API_KEY = 'rpa_test_key';
export const RTX_4090 = 'NVIDIA GeForce RTX 4090';
export const L40S = 'NVIDIA L40S';

/** A RunPod simulator with a short boot and no log output. */
export function startRunpod(options: RunpodSimulatorOptions = {}): Promise<RunpodSimulator> {
  return createRunpodSimulator({ apiKey: API_KEY, provisionMs: 30, bootMs: 120, logLevel: 'silent', ...options });
}

/** Our RunPod client pointed at the simulator, with quick backoff. */
export function runpodClient(sim: RunpodSimulator, apiKey = API_KEY): RunpodClient {
  return new RunpodClient({ apiKey, baseUrl: sim.url, retry: { baseDelayMs: 5, maxDelayMs: 20 } });
}

/** A create body for a small GPU pod. */
export function podRequest(name = 'vidgen-worker') {
  return { name, image: 'ghcr.io/vidgen/gpu-worker:test', env: { WORKER_ID: name }, ports: ['8000/http'], disk: 20 };
}

/** Polls the pod until it has `status`; every status seen is kept in order. */
export async function waitForStatus(client: RunpodClient, id: string, status: PodStatus, seen: PodStatus[] = [], timeoutMs = 5000): Promise<Pod> {
  return until(
    `pod ${id} ${status}`,
    async () => {
      const pod = await client.getPod(id);
      if (seen.at(-1) !== pod.status) seen.push(pod.status);
      return pod.status === status ? pod : undefined;
    },
    timeoutMs,
  );
}
