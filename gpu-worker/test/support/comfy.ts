import { randomUUID } from 'node:crypto';
import { JobError, type ErrorCode } from '@vidgen/contract';
import { createComfySimulator, type ComfySimulator, type ComfySimulatorOptions } from '../../../comfyui-sim/src/simulator';
import { jobErrorFromComfy } from '../../src/attempts/comfy-failures';
import { ComfyClient, type Graph } from '../../src/comfy/client';
import { ComfySocket } from '../../src/comfy/socket';
import { buildAnimateDiffGraph, loadWorkflow, type WorkflowValues } from '../../src/comfy/workflows';
import { createLogger } from '../../src/logger';
import { tempDir } from '../../../packages/media/test/support/media';

/** Timing that keeps a whole small prompt well under a second. */
export const FAST = { modelLoadMs: 5, stepMs: 5, decodeMs: 5, frameMs: 1 };

export const silentLog = createLogger('silent', {});

/** A simulator on a free loopback port, quiet and fast. */
export function startSim(options: ComfySimulatorOptions = {}): Promise<ComfySimulator> {
  return createComfySimulator({ host: '127.0.0.1', port: 0, logLevel: 'silent', ...options, timing: { ...FAST, ...options.timing } });
}

/** What a suite against the simulator works with: the simulator, a client, a socket open for our client id, a scratch folder. */
export interface ComfyFixture {
  sim: ComfySimulator;
  client: ComfyClient;
  socket: ComfySocket;
  clientId: string;
  dir: string;
  close(): Promise<void>;
}

/** Starts a fast simulator with a client and an open socket, and makes a scratch folder named after the suite. */
export async function startComfyFixture(name: string): Promise<ComfyFixture> {
  const sim = await startSim();
  const clientId = `worker-${randomUUID()}`;
  const client = new ComfyClient(sim.url);
  const socket = new ComfySocket(sim.url, clientId, silentLog);
  await socket.start();
  const { dir, cleanup } = await tempDir(name);
  return {
    sim, client, socket, clientId, dir,
    close: async () => {
      socket.close();
      await sim.close();
      await cleanup();
    },
  };
}

const workflow = loadWorkflow('animatediff');

let seed = 1000;

/**
 * The real AnimateDiff graph, small: 8 frames, 3 steps, 64x64. Each call gets a new seed so the
 * simulator's node cache never serves it.
 */
export function smallGraph(values: WorkflowValues = {}): Graph {
  seed += 1;
  return buildAnimateDiffGraph(workflow, {
    prompt: 'a lighthouse at dusk',
    negativePrompt: 'blurry',
    width: 64,
    height: 64,
    frameCount: 8,
    seed,
    steps: 3,
    cfg: 7.5,
    fps: 8,
    filenamePrefix: `vidgen/test-${seed}`,
    ...values,
  });
}

/** The job error a ComfyUI call's rejection becomes at the worker's boundary, checked for its code. */
export async function rejectsWithCode(promise: Promise<unknown>, code: ErrorCode): Promise<JobError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = jobErrorFromComfy(error);
  }
  if (caught === undefined) throw new Error(`expected a JobError ${code}, but the promise resolved`);
  if (!JobError.is(caught)) throw new Error(`expected a JobError ${code}, got ${caught instanceof Error ? String(caught) : JSON.stringify(caught)}`);
  if (caught.code !== code) throw new Error(`expected JobError ${code}, got ${caught.code}: ${caught.message}`);
  return caught;
}
