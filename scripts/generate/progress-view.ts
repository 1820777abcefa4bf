import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import type { Job } from '@vidgen/client';
import { progressFields, progressLine } from './format';

/** Shows a job's progress as snapshots arrive, and lines of its own (attempts, messages) beside it. */
export interface JobView {
  log(line: string): void;
  update(job: Job): void;
  stop(): void;
}

/** In a terminal: a bar with percent, stage, step/total, tier/backend and the job's own ETA; messages scroll above it. */
class BarView implements JobView {
  private multibar: MultiBar | null = null;
  private bar: SingleBar | null = null;

  constructor(private readonly out: NodeJS.WriteStream) {}

  log(line: string): void {
    if (this.multibar) this.multibar.log(`${line}\n`);
    else this.out.write(`${line}\n`);
  }

  update(job: Job): void {
    const fields = progressFields(job);
    const payload = { stage: [fields.stage, fields.steps].filter(Boolean).join(' '), where: fields.where || '-', remaining: fields.eta };
    if (!this.multibar || !this.bar) {
      this.multibar = new MultiBar(
        { stream: this.out, format: ' {bar} {percentage}% | {stage} | {where} | ETA {remaining}', hideCursor: true, clearOnComplete: false, barsize: 30, fps: 5 },
        Presets.shades_classic,
      );
      this.bar = this.multibar.create(100, 0, payload);
    }
    this.bar.update(Math.floor(fields.percent), payload);
  }

  stop(): void {
    // Draw once more first: lines logged since the last frame wait in cli-progress's buffer until one.
    this.multibar?.update();
    this.multibar?.stop();
    this.multibar = null;
    this.bar = null;
  }
}

/** Not a terminal (a pipe, a log file, CI): one plain line whenever what it would say changes. */
class LineView implements JobView {
  private last = '';

  constructor(private readonly out: NodeJS.WritableStream) {}

  log(line: string): void {
    this.out.write(`${line}\n`);
  }

  update(job: Job): void {
    const line = progressLine(progressFields(job));
    if (line === this.last) return;
    this.last = line;
    this.out.write(`${line}\n`);
  }

  stop(): void {}
}

export function createJobView(out: NodeJS.WriteStream): JobView {
  return out.isTTY ? new BarView(out) : new LineView(out);
}
