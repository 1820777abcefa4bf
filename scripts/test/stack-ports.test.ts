import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { checkPortsFree, PortsInUseError, stackPortNeeds } from '../stack/port-check';
import { FLEET_POD_SLOTS } from '../stack/fleet-pods';
import { offsetPorts } from '../stack/ports';
import { describeHolders, portOwner, tcpListeners } from '../stack/process-owner';
import { freePort, holdPort, SERVE_SCRIPT, stopChild } from './support/port-fixtures';

const ROOT = resolve(__dirname, '..', '..');
const linux = tcpListeners(1) !== null;

describe('the ports a stack needs', () => {
  it('lists every component, a worker and a ComfyUI simulator per worker at base + i, and every RunPod pod slot', () => {
    const ports = offsetPorts(31_500);
    const needs = stackPortNeeds(ports, 2);
    const slots = [...Array(FLEET_POD_SLOTS).keys()].flatMap((i) => [ports.podWorker + i, ports.podComfyui + i]);
    expect(needs.map((need) => need.port).sort()).toEqual(
      [ports.firestore, ports.auth, ports.functions, ports.tasks, ports.hosting, ports.hub, ports.store, ports.veo, ports.replicate, ports.runpod, ports.worker, ports.worker + 1, ports.comfyui, ports.comfyui + 1, ...slots].sort(),
    );
    expect(new Set(needs.map((need) => need.port)).size).toBe(needs.length);
    expect(needs.find((need) => need.port === ports.worker + 1)?.component).toBe('GPU worker local-worker-2');
    expect(needs.find((need) => need.port === ports.hub)?.component).toMatch(/emulator hub/);
  });
});

describe('checkPortsFree', () => {
  let holder: ChildProcess | null = null;
  afterEach(async () => {
    if (holder) await stopChild(holder);
    holder = null;
  });

  it('passes when every port is free', async () => {
    await expect(checkPortsFree([{ port: await freePort(), component: 'the thing' }], '127.0.0.1')).resolves.toBeUndefined();
  });

  it('names the taken port, the component that wanted it, and the process holding it', async () => {
    const port = await freePort();
    const free = await freePort();
    holder = await holdPort(port);
    const error = await checkPortsFree([{ port: free, component: 'the Auth emulator' }, { port, component: 'the Firestore emulator' }], '127.0.0.1').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PortsInUseError);
    const { message, busy } = error as PortsInUseError;
    expect(busy.map((b) => b.port)).toEqual([port]);
    expect(message).toContain(`port ${port}, for the Firestore emulator: held by`);
    expect(message).not.toContain(`port ${free}`);
    expect(message).toMatch(/Nothing was started/);
    expect(message).toMatch(/--port-offset/);
    if (linux) {
      expect(message).toContain(`pid ${holder.pid} (${process.execPath} -e`);
      expect(message).toContain(`kill ${holder.pid}`);
    } else {
      expect(message).toMatch(/another program/);
    }
  });
});

(linux ? describe : describe.skip)('who holds a port (Linux /proc)', () => {
  it('finds the listener, its pid, process group and command line; tells ours from a foreign one', async () => {
    const port = await freePort();
    expect(portOwner(port, process.pid)).toEqual({ state: 'free' });
    // A child leading a process group of its own, as the stack starts each component.
    const child = spawn(process.execPath, ['-e', SERVE_SCRIPT, String(port)], { detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise((ready) => child.stdout.once('data', ready));
      const [listener, ...others] = tcpListeners(port) ?? [];
      expect(others).toEqual([]);
      expect(listener?.holders).toEqual([{ pid: child.pid, pgid: child.pid, command: expect.stringContaining(`-e`) }]);
      expect(portOwner(port, child.pid!)).toEqual({ state: 'ours' });
      expect(portOwner(port, process.pid)).toEqual({ state: 'foreign', holders: expect.stringContaining(`pid ${child.pid} (`) });
      expect(describeHolders(port)).toContain(`pid ${child.pid}`);
    } finally {
      await stopChild(child);
    }
  });
});

/** Runs `npm start`'s entry (scripts/stack.ts) with `args`; kills its process group if it runs past `timeoutMs`. */
function runStackScript(args: string[], timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((done, reject) => {
    const child = spawn(process.execPath, [require.resolve('tsx/cli'), join(ROOT, 'scripts', 'stack.ts'), ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => {
      output += '\n[test] still running: killed\n';
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone
      }
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, output });
    });
  });
}

describe('npm start with a port taken', () => {
  // A range of its own: the stack's ports moved by 31500 (test stacks use 10000-30000, the bench 40000).
  const OFFSET = 31_500;
  let holder: ChildProcess | null = null;
  afterEach(async () => {
    if (holder) await stopChild(holder);
  });

  it('exits non-zero before starting anything, naming the port, its component and the holder, never saying it is up', async () => {
    const port = offsetPorts(OFFSET).firestore;
    holder = await holdPort(port);
    const { code, output } = await runStackScript(['--port-offset', String(OFFSET)], 60_000);
    expect(code).toBe(1);
    expect(output).toContain('The local stack did not start');
    expect(output).toContain(`port ${port}, for the Firestore emulator: held by`);
    if (linux) expect(output).toContain(`pid ${holder.pid}`);
    expect(output).not.toContain('The local stack is up');
    expect(output).not.toContain('Starting');
  }, 70_000);

  it('refuses an offset that puts ports past 65535', async () => {
    const { code, output } = await runStackScript(['--port-offset', '60000'], 60_000);
    expect(code).toBe(1);
    expect(output).toMatch(/--port-offset must be a whole number from 0 to/);
  }, 70_000);
});
