import { exitReport, type ComponentExit } from './component-exit';
import type { ManagedProcess } from './managed-process';

/**
 * The stack's processes, watched. Until the stack is up, a component that dies fails the start, so
 * nothing half-started is ever reported as up; once it is up, every exit is handed to `onFailure`
 * at once: `restarting` for components that restart, `fatal` for those the stack cannot run without.
 * Nothing is reported while the stack stops.
 */
export class Supervisor {
  private readonly started: ManagedProcess[] = [];
  private up = false;
  private stopping = false;
  private failStart: (error: Error) => void = () => undefined;
  private readonly startFailed: Promise<never>;

  constructor(private readonly onFailure: (exit: ComponentExit) => void) {
    this.startFailed = new Promise<never>((_resolve, reject) => {
      this.failStart = reject;
    });
    this.startFailed.catch(() => undefined);
  }

  /** Starts `proc` and waits until it serves; rejects at once if it, or one started before, dies meanwhile. */
  async start(proc: ManagedProcess): Promise<void> {
    this.started.push(proc);
    proc.onExit = (exit) => this.exited(exit);
    await Promise.race([proc.start(), this.startFailed]);
  }

  /** Everything is started: from now on exits go to `onFailure`. */
  markUp(): void {
    this.up = true;
  }

  private exited(exit: ComponentExit): void {
    if (this.stopping) return;
    if (!this.up && exit.outcome === 'fatal') {
      this.failStart(new Error(exitReport(exit)));
      return;
    }
    this.onFailure(exit);
  }

  /** Stops every process, last started first. */
  async stopAll(): Promise<void> {
    this.stopping = true;
    for (const proc of [...this.started].reverse()) await proc.stop();
  }
}
