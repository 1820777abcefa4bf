import { join } from 'node:path';
import Replicate, { type Prediction } from 'replicate';
import { JobError, percentFor, type CreateVideoJobRequest, type Tier } from '@vidgen/contract';
import { downloadBounded, REPLICATE_MAX_DOWNLOAD_BYTES } from './download';
import { sleep, type HostedProvider, type HostedResult, type HostedRun } from './hosted-provider';
import { predictionInput } from './replicate-input';
import { replicateClip } from './replicate-models';
import type { ReplicateModelRef } from './replicate-version';
import { providerCall, type ProviderCall, type RetryOptions } from './retry';

export interface ReplicateConfig {
  token: string;
  /** Another endpoint than Replicate's (a local stand-in in tests), e.g. http://127.0.0.1:8191/v1. */
  baseUrl?: string;
  /** The model (version or official model) per tier; a tier without one is not offered on Replicate. */
  models: Partial<Record<Tier, ReplicateModelRef>>;
  pollMs: number;
  timeoutMs: number;
  /** USD per second of prediction time per tier: the price of the hardware that tier's model runs on. */
  costPerSecond: Partial<Record<Tier, number>>;
  retry: RetryOptions;
}

/** The last `step/total` a progress bar printed in the prediction's logs ("40%|████ | 10/25 [..]"). */
export function stepFromLogs(logs: string | undefined | null): { step: number; total: number } | null {
  const matches = [...(logs ?? '').matchAll(/(\d+)\/(\d+)\s*\[/g)];
  const last = matches.at(-1);
  if (!last) return null;
  const step = Number(last[1]);
  const total = Number(last[2]);
  return total > 0 && step <= total ? { step, total } : null;
}

function classifyReplicateError(error: unknown): JobError {
  if (JobError.is(error)) return error;
  const status = (error as { response?: { status?: number } }).response?.status;
  const message = (error as Error).message;
  if (status === 429) return new JobError('provider_rate_limited', `Replicate is rate limiting us: ${message}`, { cause: error });
  if (status === 401 || status === 403) return new JobError('tier_unavailable', `Replicate refused the API token (${status}).`, { cause: error });
  if (status !== undefined && status >= 400 && status < 500) return new JobError('provider_bad_request', `Replicate refused the request: ${message}`, { cause: error });
  return new JobError('provider_unavailable', `Replicate failed: ${message}`, { cause: error });
}

function outputUrl(output: unknown): string | null {
  if (typeof output === 'string') return output;
  if (Array.isArray(output)) return outputUrl(output.find((item) => typeof item === 'string' && /\.(mp4|webm|gif)(\?|$)/i.test(item)) ?? output[0]);
  return null;
}

/** A prediction that will not change any more. `aborted`: ended before it ran (a passed deadline). */
export function isFinal(prediction: Pick<Prediction, 'status'>): boolean {
  return ['succeeded', 'failed', 'canceled', 'aborted'].includes(prediction.status);
}

/** What an abandoned prediction cost, and whether Replicate has said its last word on it. */
export interface AbandonedPrediction {
  status: Prediction['status'];
  costUsd: number;
  /** The prediction ended, so `costUsd` is its final `predict_time` charge. */
  final: boolean;
}

/** How long {@link ReplicateProvider.abandon} waits for a cancelled prediction to report its final time. */
const ABANDON_WAIT_MS = 20_000;
const ABANDON_POLL_MS = 1000;

/**
 * Tiers 2 and 3 on Replicate (pay per run) when our GPU workers have no room. Follows the
 * prediction by polling rather than a webhook: the attempt already holds a lease in this invocation,
 * and polling needs no public URL. A cancel or a lost lease cancels the prediction; whatever ends
 * the prediction, what Replicate billed (`metrics.predict_time`, canceled predictions included) is
 * recorded on the attempt.
 */
export class ReplicateProvider implements HostedProvider {
  private readonly client: Replicate;
  private readonly call: ProviderCall;

  constructor(private readonly config: ReplicateConfig) {
    this.client = new Replicate({ auth: config.token, ...(config.baseUrl ? { baseUrl: config.baseUrl } : {}), useFileOutput: false });
    this.call = providerCall(classifyReplicateError, config.retry);
  }

  /**
   * Why Replicate cannot serve this tier for this request (no model configured, or the model makes
   * another size, length or needs an image), or null when it can.
   */
  refusal(tier: Tier, request: Pick<CreateVideoJobRequest, 'aspectRatio' | 'durationSeconds' | 'referenceImagePath'>): string | null {
    if (!this.config.models[tier]) return `No Replicate model is configured for ${tier}.`;
    const clip = replicateClip(tier, request);
    return clip.ok ? null : clip.reason;
  }

  /**
   * What Replicate bills for a prediction: its active processing time (`predict_time`) at the price
   * of the hardware the tier's model runs on. A prediction that never ran (`aborted`, or canceled
   * while `starting`) has none.
   */
  costOf(prediction: Pick<Prediction, 'metrics'>, tier: Tier): number {
    const seconds = prediction.metrics?.predict_time ?? 0;
    return Math.round(seconds * (this.config.costPerSecond[tier] ?? 0) * 1e6) / 1e6;
  }

  async run(run: HostedRun): Promise<HostedResult> {
    const model = this.config.models[run.attempt.tier];
    if (!model) throw new JobError('tier_unavailable', `No Replicate model is configured for ${run.attempt.tier}.`);

    let id = run.attempt.providerJobId;
    const createdHere = !id;
    if (!id) {
      const input = await predictionInput(this.client, run, (fn) => this.call(fn, run.signal));
      const target = model.kind === 'version' ? { version: model.version } : { model: model.model };
      const created = await this.call(() => this.client.predictions.create({ ...target, input }), run.signal);
      id = created.id;
    }
    const predictionId = id;
    // A cancel or a lost lease stops paying at once, also one that came while the prediction was
    // being created or its id saved (a refused save stops the run); what it cost is read afterwards
    // by the watchdog, from the id saved on the attempt or, when the save was refused, recorded
    // beside it, since this run may write nothing more.
    const cancel = () => void this.client.predictions.cancel(predictionId).catch(() => undefined);
    if (run.signal.aborted) cancel();
    else run.signal.addEventListener('abort', cancel, { once: true });
    try {
      if (createdHere) await run.saveProviderJobId(predictionId);
      const prediction = await this.follow(predictionId, run);
      const url = outputUrl(prediction.output);
      if (!url) throw new JobError('output_missing', 'Replicate finished without a video URL.');
      const videoFile = join(run.workDir, 'replicate-output.mp4');
      await this.download(url, videoFile, run.signal);
      return { videoFile, costUsd: this.costOf(prediction, run.attempt.tier) };
    } finally {
      run.signal.removeEventListener('abort', cancel);
    }
  }

  /**
   * Polls until the prediction ends. Whatever the end, its charge is recorded on the attempt before
   * this returns or throws; past the deadline the prediction is cancelled first (the deadline leaves
   * room for that inside the task's timeout: see REPLICATE_TIMEOUT_SECONDS).
   */
  private async follow(id: string, run: HostedRun): Promise<Prediction> {
    const started = Date.now();
    for (;;) {
      const prediction = await this.call(() => this.client.predictions.get(id), run.signal);
      const step = stepFromLogs(prediction.logs);
      if (prediction.status === 'starting') run.progress({ stage: 'loading_models', step: null, totalSteps: null, percent: percentFor('loading_models'), etaSeconds: null });
      if (prediction.status === 'processing' && step) {
        run.progress({ stage: 'sampling', step: step.step, totalSteps: step.total, percent: percentFor('sampling', step.step, step.total), etaSeconds: null });
      }
      if (isFinal(prediction)) await run.recordCost(this.costOf(prediction, run.attempt.tier));
      if (prediction.status === 'succeeded') return prediction;
      if (prediction.status === 'failed') {
        const message = typeof prediction.error === 'string' ? prediction.error : JSON.stringify(prediction.error ?? 'no error message');
        throw new JobError(/out of memory/i.test(message) ? 'gpu_out_of_memory' : 'provider_failed', `Replicate failed: ${message}`);
      }
      if (prediction.status === 'canceled' || prediction.status === 'aborted') {
        throw new JobError('provider_failed', `Replicate ${prediction.status} the prediction.`);
      }
      if (Date.now() - started > this.config.timeoutMs) {
        const abandoned = await this.abandon(id, run.attempt.tier, run.signal);
        await run.recordCost(abandoned.costUsd);
        throw new JobError('provider_timeout', `Replicate did not finish within ${Math.round(this.config.timeoutMs / 1000)} s.`);
      }
      await sleep(this.config.pollMs, run.signal);
    }
  }

  /**
   * Stops paying for a prediction nobody will use (its job was cancelled, its runner died, it ran
   * past the deadline): cancels it unless it already ended, then waits a little for its final
   * `predict_time`, which Replicate reports for canceled predictions too. `final` is false when it
   * had not ended by then (the caller tries again later). Throws when Replicate cannot be reached.
   */
  async abandon(id: string, tier: Tier, signal?: AbortSignal): Promise<AbandonedPrediction> {
    let prediction = await this.call(() => this.client.predictions.get(id), signal);
    if (!isFinal(prediction)) prediction = await this.call(() => this.client.predictions.cancel(id), signal);
    const deadline = Date.now() + ABANDON_WAIT_MS;
    while (!isFinal(prediction) && Date.now() < deadline) {
      await sleep(ABANDON_POLL_MS, signal);
      prediction = await this.call(() => this.client.predictions.get(id), signal);
    }
    return { status: prediction.status, costUsd: this.costOf(prediction, tier), final: isFinal(prediction) };
  }

  /**
   * Streams the output to the run's folder, bounded (it is memory on Cloud Functions: see
   * `downloadBounded`): Replicate deletes outputs after an hour, so it is copied at once.
   */
  private async download(url: string, file: string, signal: AbortSignal): Promise<void> {
    await this.call(() => downloadBounded(url, file, { provider: 'Replicate', maxBytes: REPLICATE_MAX_DOWNLOAD_BYTES, signal }), signal);
  }
}
