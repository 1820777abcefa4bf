import { SingleBar, Presets } from 'cli-progress';

/** A running step of the benchmark: a bar on a terminal, plain lines otherwise (CI logs, pipes). */
export interface ProgressStep {
  tick(detail?: string): void;
  done(): void;
}

/** Progress for the benchmark's steps; `note` prints a line without tearing a bar. */
export class BenchProgress {
  private bar: SingleBar | null = null;

  constructor(private readonly interactive = Boolean(process.stdout.isTTY)) {}

  note(text: string): void {
    this.stopBar();
    process.stdout.write(`${text}\n`);
  }

  /** Starts a step of `total` units. */
  step(label: string, total: number): ProgressStep {
    this.stopBar();
    let value = 0;
    if (this.interactive) {
      const bar = new SingleBar({ format: `${label.padEnd(44)} [{bar}] {value}/{total} {detail}`, hideCursor: true, clearOnComplete: false }, Presets.shades_classic);
      bar.start(total, 0, { detail: '' });
      this.bar = bar;
      return {
        tick: (detail = '') => {
          value += 1;
          bar.update(value, { detail });
        },
        done: () => this.stopBar(),
      };
    }
    process.stdout.write(`… ${label} (0/${total})\n`);
    // Without a terminal: every tick of a short step, about ten lines of a long one.
    const every = total <= 12 ? 1 : Math.ceil(total / 10);
    return {
      tick: (detail = '') => {
        value += 1;
        if (value % every === 0 || value === total) process.stdout.write(`  ${label}: ${value}/${total}${detail ? ` ${detail}` : ''}\n`);
      },
      done: () => undefined,
    };
  }

  stopBar(): void {
    this.bar?.stop();
    this.bar = null;
  }
}
