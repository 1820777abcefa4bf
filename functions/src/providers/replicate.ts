import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import Replicate, { type Prediction } from 'replicate';
import { JobError, percentFor, type Tier } from '@vidgen/contract';
import { sleep, type HostedProvider, type HostedResult, type HostedRun } from './hosted-provider';
import { withBackoff, type RetryOptions } from './retry';

export interface ReplicateConfig {
  token: string;
  /** Another endpoint than Replicate's (a local stand-in in tests), e.g. http://127.0.0.1:8191/v1. */
  baseUrl?: string;
  /** Model version ids per tier; a tier without one is not offered on Replicate. */
  versions: Partial<Record<Tier, string>>;
  pollMs: number;
  timeoutMs: number;
  costPerSecond: number;
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

/**
 * Tiers 2 and 3 on Replicate (pay per run) when our GPU workers have no room. Follows the
 * prediction by polling rather than a webhook: the attempt already holds a lease in this invocation,
 * and polling needs no public URL. A cancel or a lost lease cancels the prediction.
 */
export class ReplicateProvider implements HostedProvider {
  private readonly client: Replicate;

  constructor(private readonly config: ReplicateConfig) {
    this.client = new Replicate({ auth: config.token, ...(config.baseUrl ? { baseUrl: config.baseUrl } : {}), useFileOutput: false });
  }

  supports(tier: Tier): boolean {
    return Boolean(this.config.versions[tier]);
  }

  private async input(run: HostedRun): Promise<Record<string, unknown>> {
    const seed = run.request.seed;
    if (run.attempt.tier === 'svd') {
      const image = await run.referenceImage();
      if (!image) throw new JobError('tier_unavailable', 'Stable Video Diffusion on Replicate needs a reference image.');
      return {
        input_image: `data:${image.mimeType};base64,${image.bytes.toString('base64')}`,
        video_length: '25_frames_with_svd_xt',
        sizing_strategy: 'maintain_aspect_ratio',
        frames_per_second: run.params.fps,
        motion_bucket_id: 127,
        ...(seed !== undefined ? { seed } : {}),
      };
    }
    return {
      prompt: run.request.prompt,
      n_prompt: run.request.negativePrompt ?? 'blurry, low quality, distorted, watermark, text',
      motion_module: 'mm_sd_v15_v2',
      steps: run.params.steps ?? 25,
      guidance_scale: run.params.cfg ?? 7.5,
      ...(seed !== undefined ? { seed } : {}),
    };
  }

  async run(run: HostedRun): Promise<HostedResult> {
    const version = this.config.versions[run.attempt.tier];
    if (!version) throw new JobError('tier_unavailable', `No Replicate model version is configured for ${run.attempt.tier}.`);
    const call = <T>(fn: () => Promise<T>) => withBackoff(async () => {
      try {
        return await fn();
      } catch (error) {
        throw classifyReplicateError(error);
      }
    }, this.config.retry, run.signal);

    let id = run.attempt.providerJobId;
    if (!id) {
      const input = await this.input(run);
      const created = await call(() => this.client.predictions.create({ version, input }));
      id = created.id;
      await run.saveProviderJobId(id);
    }
    const predictionId = id;
    const cancel = () => void this.client.predictions.cancel(predictionId).catch(() => undefined);
    run.signal.addEventListener('abort', cancel, { once: true });
    try {
      const prediction = await this.follow(predictionId, run, call);
      const url = outputUrl(prediction.output);
      if (!url) throw new JobError('output_missing', 'Replicate finished without a video URL.');
      const videoFile = join(run.workDir, 'replicate-output.mp4');
      await this.download(url, videoFile, run.signal);
      const seconds = prediction.metrics?.predict_time ?? 0;
      return { videoFile, costUsd: Math.round(seconds * this.config.costPerSecond * 1e6) / 1e6 };
    } finally {
      run.signal.removeEventListener('abort', cancel);
    }
  }

  private async follow(id: string, run: HostedRun, call: <T>(fn: () => Promise<T>) => Promise<T>): Promise<Prediction> {
    const started = Date.now();
    for (;;) {
      const prediction = await call(() => this.client.predictions.get(id));
      const step = stepFromLogs(prediction.logs);
      if (prediction.status === 'starting') run.progress({ stage: 'loading_models', step: null, totalSteps: null, percent: percentFor('loading_models'), etaSeconds: null });
      if (prediction.status === 'processing' && step) {
        run.progress({ stage: 'sampling', step: step.step, totalSteps: step.total, percent: percentFor('sampling', step.step, step.total), etaSeconds: null });
      }
      if (prediction.status === 'succeeded') return prediction;
      if (prediction.status === 'failed') {
        const message = String(prediction.error ?? 'no error message');
        throw new JobError(/out of memory/i.test(message) ? 'gpu_out_of_memory' : 'provider_failed', `Replicate failed: ${message}`);
      }
      if (prediction.status === 'canceled' || prediction.status === 'aborted') {
        throw new JobError('provider_failed', `Replicate ${prediction.status} the prediction.`);
      }
      if (Date.now() - started > this.config.timeoutMs) {
        await this.client.predictions.cancel(id).catch(() => undefined);
        throw new JobError('provider_timeout', `Replicate did not finish within ${Math.round(this.config.timeoutMs / 1000)} s.`);
      }
      await sleep(this.config.pollMs, run.signal);
    }
  }

  /** Streams the output to disk: Replicate deletes outputs after an hour, so it is copied at once. */
  private async download(url: string, file: string, signal: AbortSignal): Promise<void> {
    const response = await fetch(url, { signal });
    if (!response.ok || !response.body) throw new JobError('output_missing', `Replicate's output answered ${response.status}.`);
    await pipeline(Readable.fromWeb(response.body as import('node:stream/web').ReadableStream), createWriteStream(file));
  }
}
