import { mkdtempSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ComponentExit } from '../stack/component-exit';
import { exitReport } from '../stack/component-exit';
import { httpReady, ManagedProcess, type ProcessSpec } from '../stack/managed-process';
import { tcpListeners } from '../stack/process-owner';
import { Supervisor } from '../stack/supervisor';
import { closeServer, foreignServer, freePort, SERVE_SCRIPT } from './support/port-fixtures';

const linux = tcpListeners(1) !== null;
const logDir = mkdtempSync(join(tmpdir(), 'managed-process-'));
const running: ManagedProcess[] = [];
const servers: Server[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((proc) => proc.stop(2000)));
  await Promise.all(servers.splice(0).map(closeServer));
});

/** A component: a tiny node child serving on `port` (or running `script`), probed over HTTP. */
function component(name: string, port: number, extra: Partial<ProcessSpec> & { script?: string; scriptArgs?: string[] } = {}): ManagedProcess {
  const { script = SERVE_SCRIPT, scriptArgs = [String(port)], ...spec } = extra;
  const proc = new ManagedProcess({
    name,
    command: process.execPath,
    args: ['-e', script, ...scriptArgs],
    logFile: join(logDir, `${name}.log`),
    ready: httpReady(`http://127.0.0.1:${port}/`),
    readyTimeoutMs: 10_000,
    ports: [port],
    ...spec,
  });
  running.push(proc);
  return proc;
}

/** Resolves with the next exit `proc` reports. */
function nextExit(proc: ManagedProcess): Promise<ComponentExit> {
  return new Promise((resolve) => {
    proc.onExit = resolve;
  });
}

const IDLE = 'console.log("starting, never listening"); setInterval(() => undefined, 1000);';

describe('readiness proves it is our process answering', () => {
  it('is ready once its own child serves the probe on its port', async () => {
    const port = await freePort();
    const proc = component('own-server', port);
    await expect(proc.start()).resolves.toBeUndefined();
  });

  (linux ? it : it.skip)('fails at once when another program answers on its port, naming the port and the holder', async () => {
    const port = await freePort();
    servers.push(await foreignServer(port, 'Ok'));
    const proc = component('firestore', port, { script: IDLE, scriptArgs: [] });
    const started = Date.now();
    const error = (await proc.start().catch((caught: unknown) => caught)) as Error;
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toContain(`port ${port} is held by pid ${process.pid} (`);
    expect(error.message).toContain('not by firestore');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('does not take a foreign answer for its own: a probe that expects its answer refuses it, naming the URL', async () => {
    const port = await freePort();
    servers.push(await foreignServer(port, '<html>someone else</html>'));
    const proc = component('firestore', port, {
      script: IDLE,
      scriptArgs: [],
      ports: [], // as where /proc cannot tell who listens: only the answer can
      readyTimeoutMs: 1500,
      ready: httpReady(`http://127.0.0.1:${port}/`, { what: 'the Firestore emulator', accepts: (body) => body.trim() === 'Ok' }),
    });
    const error = (await proc.start().catch((caught: unknown) => caught)) as Error;
    expect(error.message).toContain('firestore was not ready within 1.5 s');
    expect(error.message).toContain(`http://127.0.0.1:${port}/ answered 200 "<html>someone else</html>", not as the Firestore emulator does`);
  });

  it('fails at once, with its last output, when the child exits during start-up', async () => {
    const port = await freePort();
    const proc = component('store', port, { script: 'console.error("EADDRINUSE: boom"); process.exit(3);', scriptArgs: [] });
    const error = (await proc.start().catch((caught: unknown) => caught)) as Error;
    expect(error.message).toMatch(/^store \(pid \d+\) exited with code 3\. Last lines of its log/);
    expect(error.message).toContain('    EADDRINUSE: boom');
  });
});

describe('a component that dies after start-up is reported at once', () => {
  it('killed: onExit gets its name, pid, signal and last output; not restarted', async () => {
    const port = await freePort();
    const proc = component('veo-sim', port);
    await proc.start();
    const pid = proc.pid!;
    const exited = nextExit(proc);
    process.kill(pid, 'SIGKILL');
    const exit = await exited;
    expect(exit).toMatchObject({ component: 'veo-sim', pid, signal: 'SIGKILL', code: null, outcome: 'fatal', restarts: 0 });
    expect(exit.logTail).toEqual([`listening on ${port}`]);
    expect(exitReport(exit)).toContain(`veo-sim (pid ${pid}) was killed by SIGKILL. Last lines of its log`);
    // The log file gets the exit too (written asynchronously).
    const logged = () => readFileSync(join(logDir, 'veo-sim.log'), 'utf8').includes('[stack] veo-sim exited (code null, signal SIGKILL)');
    for (let i = 0; i < 40 && !logged(); i += 1) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(logged()).toBe(true);
  });

  it('restartable: reported as restarting, and serves again from a new process', async () => {
    const port = await freePort();
    const proc = component('local-worker-1', port, { restart: true });
    await proc.start();
    const first = proc.pid!;
    const exited = nextExit(proc);
    process.kill(first, 'SIGKILL');
    expect(await exited).toMatchObject({ component: 'local-worker-1', pid: first, signal: 'SIGKILL', outcome: 'restarting', restarts: 1 });
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && !(proc.pid && proc.pid !== first && (await httpReady(`http://127.0.0.1:${port}/`)().catch(() => false)))) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(proc.pid).not.toBe(first);
    await expect(httpReady(`http://127.0.0.1:${port}/`)()).resolves.toBe(true);
  });

  it('restartable but crashing by itself again and again: given up after three quick exits, reported fatal', async () => {
    const port = await freePort();
    const crashSoon = `${SERVE_SCRIPT}\nsetTimeout(() => { console.error('crashed'); process.exit(1); }, 1200);`;
    const proc = component('comfyui-sim-1', port, { restart: true, script: crashSoon });
    const exits: ComponentExit[] = [];
    const fatal = new Promise<void>((resolve) => {
      proc.onExit = (exit) => {
        exits.push(exit);
        if (exit.outcome === 'fatal') resolve();
      };
    });
    await proc.start();
    await fatal;
    expect(exits.map((exit) => [exit.outcome, exit.code])).toEqual([['restarting', 1], ['restarting', 1], ['fatal', 1]]);
    expect(exits[2]?.logTail.at(-1)).toBe('crashed');
  }, 15_000);

  it('stopped on purpose: nothing is reported', async () => {
    const port = await freePort();
    const proc = component('replicate-sim', port, { restart: true });
    await proc.start();
    const reported = jest.fn();
    proc.onExit = reported;
    await proc.stop(2000);
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(reported).not.toHaveBeenCalled();
    expect(proc.pid).toBeUndefined();
  });
});

describe('Supervisor', () => {
  it('fails the start when a component started earlier dies while a later one starts', async () => {
    const supervisor = new Supervisor(jest.fn());
    const first = component('firestore', await freePort());
    await supervisor.start(first);
    const slowPort = await freePort();
    const slow = component('firebase-emulators', slowPort, { script: IDLE, scriptArgs: [], ports: [], ready: async () => false, readyTimeoutMs: 30_000 });
    const starting = supervisor.start(slow);
    setTimeout(() => process.kill(first.pid!, 'SIGKILL'), 300);
    await expect(starting).rejects.toThrow(/^firestore \(pid \d+\) was killed by SIGKILL/);
    await supervisor.stopAll();
  });

  it('once up, hands each exit to onFailure (fatal or restarting), and none while stopping', async () => {
    const failures: ComponentExit[] = [];
    const supervisor = new Supervisor((exit) => failures.push(exit));
    const store = component('store', await freePort());
    const worker = component('local-worker-1', await freePort(), { restart: true });
    await supervisor.start(store);
    await supervisor.start(worker);
    supervisor.markUp();
    process.kill(worker.pid!, 'SIGKILL');
    process.kill(store.pid!, 'SIGKILL');
    const deadline = Date.now() + 5000;
    while (failures.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(failures.map((exit) => [exit.component, exit.outcome]).sort()).toEqual([['local-worker-1', 'restarting'], ['store', 'fatal']]);
    await new Promise((resolve) => setTimeout(resolve, 700)); // the worker is back
    await supervisor.stopAll();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(failures).toHaveLength(2);
  });
});
