import path from 'node:path';
import type { Logger } from 'pino';
import { evenSize, type VideoEncoder } from '../shared/video-encoder';
import { isTerminal, type PredictionStatus, type WebhookEvent } from './prediction';
import type { PredictionRecord } from './prediction-record';
import { progressLine } from './progress-bar';
import { DEFAULT_FAILURE } from './replicate-script';

/** What the runner needs from the simulator. */
export interface RunnerDeps {
  startMs: number;
  scale: number;
  dataDir: string;
  encoder: VideoEncoder;
  log: Logger;
  /** Aborted when the simulator closes. */
  signal: AbortSignal;
  /** Called for each event a prediction goes through (webhooks, listeners). */
  emit(record: PredictionRecord, event: WebhookEvent): void;
}

const OOM_TRACEBACK = [
  'Traceback (most recent call last):',
  '  File "/usr/local/lib/python3.11/site-packages/cog/server/worker.py", line 349, in _predict',
  '    result = predict(**payload)',
  '  File "/src/predict.py", line 118, in predict',
  '    frames = self.pipe(**kwargs).frames',
  'torch.OutOfMemoryError: ',
];

/**
 * Moves predictions through starting → processing (a progress bar per sampling step in the logs)
 * → succeeded with a real MP4, or failed / never done as scripted; cancels them on request.
 */
export class PredictionRunner {
  constructor(private readonly deps: RunnerDeps) {}

  /** Starts a new prediction's life. */
  start(record: PredictionRecord): void {
    this.deps.emit(record, 'start');
    // aborted: terminated before it ever ran (as a passed Cancel-After deadline does on Replicate).
    if (record.outcome === 'aborted') this.schedule(record, this.deps.startMs, () => this.finishAs(record, 'aborted'));
    else this.schedule(record, this.deps.startMs, () => this.begin(record));
  }

  /** Cancels a prediction still running; a finished one is left as it is. */
  cancel(record: PredictionRecord): void {
    if (isTerminal(record.prediction.status)) return;
    this.finishAs(record, 'canceled');
    this.deps.log.info({ predictionId: record.prediction.id }, 'Replicate simulator: prediction canceled');
  }

  /** Stops every timer of a prediction (on close). */
  halt(record: PredictionRecord): void {
    if (record.timer) clearTimeout(record.timer);
    record.timer = undefined;
  }

  private schedule(record: PredictionRecord, ms: number, action: () => void | Promise<void>): void {
    record.timer = setTimeout(() => {
      record.timer = undefined;
      if (isTerminal(record.prediction.status)) return;
      Promise.resolve(action()).catch((error: unknown) => {
        if (this.deps.signal.aborted) return;
        this.deps.log.error({ err: error, predictionId: record.prediction.id }, 'Replicate simulator could not finish a prediction');
        this.fail(record, `simulator error: ${(error as Error).message}`);
      });
    }, ms);
  }

  private begin(record: PredictionRecord): void {
    const { prediction, plan } = record;
    record.startedAtMs = Date.now();
    prediction.status = 'processing';
    prediction.started_at = new Date(record.startedAtMs).toISOString();
    prediction.logs = `Using seed: ${plan.seed ?? Math.floor(Math.random() * 2 ** 31)}\n`;
    this.deps.emit(record, 'logs');
    this.step(record, 1);
  }

  private step(record: PredictionRecord, done: number): void {
    const { plan } = record;
    const interval = record.predictMs / plan.steps;
    this.schedule(record, interval, async () => {
      const elapsed = (Date.now() - record.startedAtMs!) / 1000;
      record.prediction.logs += `${progressLine(done, plan.steps, elapsed)}\n`;
      this.deps.emit(record, 'logs');
      const halfway = Math.ceil(plan.steps / 2);
      if (record.outcome === 'failed' && done >= halfway) return this.fail(record, record.failure ?? DEFAULT_FAILURE, true);
      // never_finishes: the bar stops here and the prediction stays processing until canceled.
      if (record.outcome === 'never_finishes' && done >= halfway) return;
      if (done < plan.steps) return this.step(record, done + 1);
      await this.succeed(record);
    });
  }

  private async succeed(record: PredictionRecord): Promise<void> {
    const { prediction, plan } = record;
    const file = path.join(this.deps.dataDir, `${prediction.id}.mp4`);
    await this.deps.encoder.encode(file, {
      width: evenSize(plan.width * this.deps.scale),
      height: evenSize(plan.height * this.deps.scale),
      fps: plan.fps,
      frames: plan.frames,
      seed: plan.seed ?? prediction.id.charCodeAt(0) * 7,
    });
    // A cancel that came while ffmpeg ran wins.
    if (isTerminal(prediction.status)) return;
    record.filePath = file;
    prediction.output = `${record.baseUrl}/files/${prediction.id}.mp4`;
    this.deps.emit(record, 'output');
    this.finishAs(record, 'succeeded');
    this.deps.log.info({ predictionId: prediction.id, model: prediction.model, predictTime: prediction.metrics.predict_time }, 'Replicate simulator: prediction succeeded (synthetic video)');
  }

  private fail(record: PredictionRecord, error: string, withTraceback = false): void {
    if (withTraceback) record.prediction.logs += `${OOM_TRACEBACK.join('\n')}${error}\n`;
    record.prediction.error = error;
    this.finishAs(record, 'failed');
    this.deps.log.info({ predictionId: record.prediction.id, error }, 'Replicate simulator: prediction failed (scripted)');
  }

  /**
   * Ends a prediction. `predict_time` is the time it spent processing, for every end that ran,
   * canceled included: Replicate bills canceled predictions for that time and aborted ones (never
   * started) not at all (replicate.com/docs/topics/predictions/lifecycle, and its changelog on
   * prediction deadlines, 2025-10-16), so a prediction canceled while `starting` has none.
   */
  private finishAs(record: PredictionRecord, status: Extract<PredictionStatus, 'succeeded' | 'failed' | 'canceled' | 'aborted'>): void {
    this.halt(record);
    const { prediction } = record;
    const now = Date.now();
    prediction.status = status;
    prediction.completed_at = new Date(now).toISOString();
    prediction.metrics = {
      ...(record.startedAtMs !== undefined ? { predict_time: (now - record.startedAtMs) / 1000 } : {}),
      total_time: (now - record.createdAtMs) / 1000,
    };
    this.deps.emit(record, 'completed');
  }
}
