import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { DEPLOYED_NODE_MAJOR } from '../../scripts/stack/node-runtime';
import { stackState } from '../support/stack-state';
import { signedInUser } from '../support/web-client';

jest.setTimeout(60_000);

/** The Node major of a running process, read from the binary it runs (not from anything it reports). */
function nodeMajorOf(pid: number): number {
  const binary = readlinkSync(`/proc/${pid}/exe`);
  const version = execFileSync(binary, ['--version'], { encoding: 'utf8' }).trim();
  return Number(/^v(\d+)\./.exec(version)?.[1]);
}

/** Pids of the processes whose command line mentions `marker` and whose environment holds `envEntry`. */
function processesWith(marker: string, envEntry: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (!readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(marker)) continue;
      if (!readFileSync(`/proc/${name}/environ`, 'utf8').split('\0').includes(envEntry)) continue;
      pids.push(Number(name));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

describe('the stack runs on the deployed Node runtime', () => {
  it(`runs every GPU worker and ComfyUI simulator on Node ${DEPLOYED_NODE_MAJOR}`, () => {
    const { workers } = stackState();
    expect(workers.length).toBeGreaterThan(0);
    for (const worker of workers) {
      expect({ worker: worker.workerId, major: nodeMajorOf(worker.pid!) }).toEqual({ worker: worker.workerId, major: DEPLOYED_NODE_MAJOR });
      expect({ comfy: worker.comfyuiUrl, major: nodeMajorOf(worker.comfyuiPid!) }).toEqual({ comfy: worker.comfyuiUrl, major: DEPLOYED_NODE_MAJOR });
    }
  });

  it(`runs the functions on Node ${DEPLOYED_NODE_MAJOR} in the functions emulator`, async () => {
    const state = stackState();
    const user = await signedInUser();
    try {
      // A refused call still runs the function, so the emulator has a runtime process for it.
      await expect(user.createVideoJob({ prompt: '' })).rejects.toMatchObject({ code: 'functions/invalid-argument' });
    } finally {
      await user.close();
    }
    const runtimes = processesWith('functionsEmulatorRuntime', `FIRESTORE_EMULATOR_HOST=127.0.0.1:${state.ports.firestore}`);
    expect(runtimes.length).toBeGreaterThan(0);
    expect(runtimes.map(nodeMajorOf)).toEqual(runtimes.map(() => DEPLOYED_NODE_MAJOR));
  });
});
