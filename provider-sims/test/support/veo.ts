import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GoogleGenAI, type GenerateVideosOperation, type HttpOptions } from '@google/genai';
import { createVeoSimulator, type VeoSimulator, type VeoSimulatorOptions } from '../../src/simulators';
import { sleep } from './wait';

export const KEY = 'test-key';
export const MODEL = 'veo-3.1-generate-preview';

/** A Veo simulator with short latency and no log output (its videos have the real size). */
export function startVeo(options: VeoSimulatorOptions = {}): Promise<VeoSimulator> {
  return createVeoSimulator({ apiKey: KEY, latencyMs: 150, logLevel: 'silent', ...options });
}

/**
 * The real @google/genai client pointed at the simulator. Under Jest it needs `httpOptions.fetch`:
 * without one, the SDK (2.32, on Node) adds an Undici dispatcher it looks up on `globalThis`, which
 * is not there in Jest's VM context ("Undici globalDispatcher is not available"); Node's own fetch
 * is fine. Plain Node needs no such thing.
 */
export function client(sim: VeoSimulator, apiKey = KEY, httpOptions: HttpOptions = {}): GoogleGenAI {
  return new GoogleGenAI({ apiKey, httpOptions: { baseUrl: sim.url, fetch: (input, init) => fetch(input, init), ...httpOptions } });
}

/** Polls with the SDK until the operation is done. */
export async function finish(ai: GoogleGenAI, operation: GenerateVideosOperation, timeoutMs = 8000): Promise<GenerateVideosOperation> {
  const deadline = Date.now() + timeoutMs;
  let current = operation;
  while (!current.done) {
    if (Date.now() > deadline) throw new Error(`operation ${operation.name} not done after ${timeoutMs} ms`);
    await sleep(40);
    current = await ai.operations.getVideosOperation({ operation: current });
  }
  return current;
}

/** A temporary folder for downloads, and its removal. */
export async function tempDir(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'provider-sims-test-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
