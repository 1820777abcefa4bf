import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { exitReport, OutputTail, type ComponentExit } from './component-exit';
import { portOwner } from './process-owner';

export interface ProcessSpec {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  logFile: string;
  /** Resolves once the process serves; polled until `readyTimeoutMs`. */
  ready: () => Promise<boolean>;
  readyTimeoutMs?: number;
  /** Start it again when it exits on its own (a pod or process manager would). */
  restart?: boolean;
  /**
   * The TCP ports it listens on: it is ready only once each is held by its own process group, so
   * that another program answering there is never taken for it.
   */
  ports?: number[];
}

/** Exits by itself (not by a signal) this soon after a start count as a crash loop... */
const QUICK_EXIT_MS = 5000;
/** ...and after this many in a row it is not restarted again. */
const MAX_QUICK_EXITS = 3;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A child process in a process group of its own, so that stopping it stops everything it started
 * (the Firestore emulator script leaves a Java child behind otherwise).
 */
export class ManagedProcess {
  private child: ChildProcess | null = null;
  private log: WriteStream;
  private stopping = false;
  /** Ready once: from then on an exit is restarted (with `restart`) and reported through `onExit`. */
  private up = false;
  private readonly tail = new OutputTail();
  private spawnedAt = 0;
  private quickExits = 0;
  private lastExit: Promise<ComponentExit> | null = null;
  restarts = 0;
  onRestart: (() => void) | null = null;
  /** Called at once (with its last output) when it exits after start-up without being stopped. */
  onExit: ((exit: ComponentExit) => void) | null = null;

  constructor(readonly spec: ProcessSpec) {
    this.log = createWriteStream(spec.logFile, { flags: 'a' });
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    this.spawn();
    await this.waitReady();
    this.up = true;
  }

  private spawn(): void {
    this.tail.clear();
    this.spawnedAt = Date.now();
    const child = spawn(this.spec.command, this.spec.args, {
      cwd: this.spec.cwd,
      env: { ...process.env, ...this.spec.env },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [child.stdout, child.stderr]) {
      stream?.on('data', (chunk: Buffer) => this.tail.push(chunk));
      stream?.pipe(this.log, { end: false });
    }
    let ended = false;
    const end = (code: number | null, signal: NodeJS.Signals | null, error?: Error) => {
      if (ended) return;
      ended = true;
      this.log.write(`\n[stack] ${this.spec.name} ${error ? `could not be started: ${error.message}` : `exited (code ${code}, signal ${signal})`}\n`);
      if (this.child === child) this.child = null;
      this.exited(child, code, signal, error);
    };
    child.on('exit', (code, signal) => end(code, signal));
    child.on('error', (error) => end(null, null, error));
    this.child = child;
  }

  /** Restarts it where it should be, and reports the exit once its last output is in. */
  private exited(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null, error?: Error): void {
    const quick = signal === null && Date.now() - this.spawnedAt < QUICK_EXIT_MS;
    this.quickExits = quick ? this.quickExits + 1 : 0;
    const restart = this.up && !this.stopping && this.spec.restart === true && this.quickExits < MAX_QUICK_EXITS;
    if (restart) this.restarts += 1;
    const restarts = this.restarts;
    this.lastExit = (async (): Promise<ComponentExit> => {
      // Its last output may still be in the pipes; a grandchild may hold them open, so not for long.
      await Promise.race([new Promise((resolve) => child.once('close', resolve)), sleep(200)]);
      const { name: component, logFile } = this.spec;
      return { component, pid: child.pid, code, signal, error: error?.message, logFile, logTail: this.tail.lines(), outcome: restart ? 'restarting' : 'fatal', restarts };
    })();
    if (this.stopping || !this.up) return;
    void this.lastExit.then((exit) => {
      if (!this.stopping) this.onExit?.(exit);
    });
    if (!restart) return;
    setTimeout(() => {
      if (this.stopping) return;
      this.spawn();
      this.onRestart?.();
    }, 500);
  }

  /**
   * Polls the readiness probe until it answers, but only once every port in `ports` is held by this
   * process's group: another program listening on one fails at once, naming it. An exit fails at
   * once too, with the last lines of output.
   */
  private async waitReady(): Promise<void> {
    const { name, logFile } = this.spec;
    const timeoutMs = this.spec.readyTimeoutMs ?? 60_000;
    const deadline = Date.now() + timeoutMs;
    const unverified = new Set(this.spec.ports ?? []);
    let lastProbe = 'no answer yet';
    while (Date.now() < deadline) {
      const child = this.child;
      if (!child) {
        const exit = await this.lastExit;
        throw new Error(exit ? `${exitReport(exit)}` : `${name} exited during start-up; see ${logFile}`);
      }
      for (const port of [...unverified]) {
        if (!child.pid) break;
        const owner = portOwner(port, child.pid);
        if (owner.state === 'ours' || owner.state === 'unknown') unverified.delete(port);
        if (owner.state === 'foreign') {
          throw new Error(`port ${port} is held by ${owner.holders}, not by ${name}, which cannot listen there (stop that program, or run the stack on other ports)`);
        }
      }
      if (unverified.size === 0) {
        try {
          if (await this.spec.ready()) return;
          lastProbe = 'answered, not ready yet';
        } catch (error) {
          lastProbe = (error as Error).message;
        }
      }
      await sleep(250);
    }
    const waitingFor = unverified.size > 0 ? `nothing listens on port ${[...unverified].join(', ')} yet` : `last probe: ${lastProbe}`;
    throw new Error(`${name} was not ready within ${timeoutMs / 1000} s (${waitingFor}); see ${logFile}`);
  }

  /** SIGTERM to the whole group, SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (!child?.pid) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([exited.then(() => false), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), graceMs)))]);
    clearTimeout(timer);
    if (timedOut) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
      await exited;
    }
    // The group may outlive its leader (the emulator's Java child): sweep it.
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // nothing left
    }
  }
}

function accepted(accepts: (body: string) => boolean, body: string): boolean {
  try {
    return accepts(body);
  } catch {
    return false; // not even the shape it answers in
  }
}

/**
 * An HTTP readiness probe: any answer below 500 counts, if `expect` (what the component itself
 * answers there) accepts its body; an answer it refuses throws, naming the URL and what came back.
 */
export function httpReady(url: string, expect?: { what: string; accepts: (body: string) => boolean }): () => Promise<boolean> {
  return async () => {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    const body = await response.text();
    if (response.status >= 500) return false;
    if (expect && !accepted(expect.accepts, body)) {
      throw new Error(`${url} answered ${response.status} ${JSON.stringify(body.slice(0, 80))}, not as ${expect.what} does: another program is answering there`);
    }
    return true;
  };
}
