import { writeFile } from 'node:fs/promises';
import Replicate, { type Prediction } from 'replicate';
import { createReplicateSimulator, type ReplicateSimulator, type ReplicateSimulatorOptions } from '../../src/simulators';
import { sleep } from './wait';

export const TOKEN = 'test-token';

/** A Replicate simulator with short timings, small videos and no log output. */
export function startReplicate(options: ReplicateSimulatorOptions = {}): Promise<ReplicateSimulator> {
  return createReplicateSimulator({ token: TOKEN, startMs: 20, predictMs: 200, logsIntervalMs: 60, scale: 0.25, logLevel: 'silent', ...options });
}

/** The real replicate client pointed at the simulator (`baseUrl` includes `/v1`). */
export function client(sim: ReplicateSimulator, auth = TOKEN): Replicate {
  return new Replicate({ auth, baseUrl: sim.apiUrl });
}

const FINAL = new Set(['succeeded', 'failed', 'canceled', 'aborted']);

/** Polls `predictions.get` until the prediction is final; every version seen is kept. */
export async function settle(replicate: Replicate, prediction: Prediction, seen: Prediction[] = [], timeoutMs = 8000): Promise<Prediction> {
  const deadline = Date.now() + timeoutMs;
  let current = prediction;
  while (!FINAL.has(current.status)) {
    if (Date.now() > deadline) throw new Error(`prediction ${prediction.id} still ${current.status} after ${timeoutMs} ms`);
    await sleep(25);
    current = await replicate.predictions.get(prediction.id);
    seen.push(current);
  }
  return current;
}

/** Downloads `url` to `file`. */
export async function download(url: string, file: string): Promise<void> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url}: ${response.status}`);
  await writeFile(file, Buffer.from(await response.arrayBuffer()));
}
