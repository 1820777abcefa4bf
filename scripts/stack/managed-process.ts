import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';

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
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A child process in a process group of its own, so that stopping it stops everything it started
 * (the Firestore emulator script leaves a Java child behind otherwise).
 */
export class ManagedProcess {
  private child: ChildProcess | null = null;
  private log: WriteStream;
  private stopping = false;
  restarts = 0;
  onRestart: (() => void) | null = null;

  constructor(readonly spec: ProcessSpec) {
    this.log = createWriteStream(spec.logFile, { flags: 'a' });
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    this.spawn();
    await this.waitReady();
  }

  private spawn(): void {
    const child = spawn(this.spec.command, this.spec.args, {
      cwd: this.spec.cwd,
      env: { ...process.env, ...this.spec.env },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(this.log, { end: false });
    child.stderr?.pipe(this.log, { end: false });
    child.on('exit', (code, signal) => {
      this.log.write(`\n[stack] ${this.spec.name} exited (code ${code}, signal ${signal})\n`);
      if (this.child === child) this.child = null;
      if (!this.stopping && this.spec.restart) {
        this.restarts += 1;
        setTimeout(() => {
          if (this.stopping) return;
          this.spawn();
          this.onRestart?.();
        }, 500);
      }
    });
    this.child = child;
  }

  private async waitReady(): Promise<void> {
    const deadline = Date.now() + (this.spec.readyTimeoutMs ?? 60_000);
    while (Date.now() < deadline) {
      if (!this.child) throw new Error(`${this.spec.name} exited during start-up; see ${this.spec.logFile}`);
      if (await this.spec.ready().catch(() => false)) return;
      await sleep(250);
    }
    throw new Error(`${this.spec.name} was not ready within ${(this.spec.readyTimeoutMs ?? 60_000) / 1000} s; see ${this.spec.logFile}`);
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
    const timedOut = await Promise.race([exited.then(() => false), sleep(graceMs).then(() => true)]);
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

/** An HTTP readiness probe: any answer below 500 counts. */
export function httpReady(url: string): () => Promise<boolean> {
  return async () => {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await response.arrayBuffer();
    return response.status < 500;
  };
}
