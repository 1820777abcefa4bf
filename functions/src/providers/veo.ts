import { ApiError, GenerateVideosOperation, GoogleGenAI, type GeneratedVideo, type GenerateVideosParameters } from '@google/genai';
import { join } from 'node:path';
import { JobError, percentFor, segmentPlan } from '@vidgen/contract';
import { sleep, type HostedProvider, type HostedResult, type HostedRun } from './hosted-provider';
import { withBackoff, type RetryOptions } from './retry';

export interface VeoConfig {
  apiKey: string;
  model: string;
  /** Another endpoint than Google's (a local stand-in in tests). */
  baseUrl?: string;
  pollMs: number;
  timeoutMs: number;
  costPerSecond: number;
  retry: RetryOptions;
}

/** Maps the Gemini API's failures to our codes: 429 and 5xx are transient, 400 is final, 401/403 a configuration problem. */
export function classifyVeoError(error: unknown): JobError {
  if (JobError.is(error)) return error;
  if (error instanceof ApiError) {
    if (error.status === 429) return new JobError('provider_rate_limited', `Veo is rate limiting us: ${error.message}`, { cause: error });
    if (error.status >= 500) return new JobError('provider_unavailable', `Veo failed with ${error.status}: ${error.message}`, { cause: error });
    if (error.status === 401 || error.status === 403) return new JobError('tier_unavailable', `Veo refused the API key (${error.status}).`, { cause: error });
    return new JobError('provider_bad_request', `Veo refused the request: ${error.message}`, { cause: error });
  }
  return new JobError('provider_unavailable', `Veo could not be reached: ${(error as Error).message}`, { cause: error });
}

function operationFailure(error: Record<string, unknown>): JobError {
  const code = Number(error.code);
  const message = String(error.message ?? 'no message');
  if (code === 8 || code === 429) return new JobError('provider_rate_limited', `Veo ran out of quota: ${message}`);
  if (code === 3 || code === 400) return new JobError('provider_bad_request', `Veo refused the request: ${message}`);
  return new JobError('provider_failed', `Veo failed to make the video: ${message}`);
}

/**
 * Tier 1: Google Veo through the Gemini API. Generates one clip, then, for durations beyond one
 * generation, extends it segment by segment with the same prompt. Each operation's name is saved on
 * the attempt before it is waited on, so a redelivered task re-attaches instead of paying twice.
 */
export class VeoProvider implements HostedProvider {
  private readonly ai: GoogleGenAI;

  constructor(private readonly config: VeoConfig) {
    this.ai = new GoogleGenAI({ apiKey: config.apiKey, ...(config.baseUrl ? { httpOptions: { baseUrl: config.baseUrl } } : {}) });
  }

  async run(run: HostedRun): Promise<HostedResult> {
    const wanted = run.params.durationSeconds;
    const plan = segmentPlan('veo', wanted);
    const segments = plan.extensions + 1;
    let video: GeneratedVideo | null = null;
    let madeSeconds = 0;

    const existing = run.attempt.providerJobId;
    if (existing) {
      video = await this.follow(existing, run, 1, segments);
      madeSeconds = plan.baseSeconds;
    } else {
      const image = await run.referenceImage();
      const name = await this.start(run, {
        model: this.config.model,
        source: { prompt: run.request.prompt, ...(image ? { image: { imageBytes: image.bytes.toString('base64'), mimeType: image.mimeType } } : {}) },
        config: {
          numberOfVideos: 1,
          durationSeconds: plan.baseSeconds,
          aspectRatio: run.params.aspectRatio,
          ...(run.request.negativePrompt ? { negativePrompt: run.request.negativePrompt } : {}),
        },
      });
      video = await this.follow(name, run, 1, segments);
      madeSeconds = plan.baseSeconds;
    }

    for (let segment = 2; segment <= segments; segment += 1) {
      const name = await this.start(run, { model: this.config.model, source: { prompt: run.request.prompt, video: video.video } });
      video = await this.follow(name, run, segment, segments);
      madeSeconds += 7;
    }

    const videoFile = join(run.workDir, 'veo.mp4');
    await this.download(video, videoFile, run.signal);
    return {
      videoFile,
      ...(madeSeconds > wanted ? { trimToSeconds: wanted } : {}),
      costUsd: Math.round(madeSeconds * this.config.costPerSecond * 1e6) / 1e6,
    };
  }

  /** Starts an operation (with backoff on 429/5xx) and saves its name on the attempt. */
  private async start(run: HostedRun, parameters: GenerateVideosParameters): Promise<string> {
    const operation = await withBackoff(async () => {
      try {
        return await this.ai.models.generateVideos({ ...parameters, config: { ...parameters.config, abortSignal: run.signal } });
      } catch (error) {
        throw classifyVeoError(error);
      }
    }, this.config.retry, run.signal);
    if (!operation.name) throw new JobError('provider_failed', 'Veo returned an operation without a name.');
    await run.saveProviderJobId(operation.name);
    return operation.name;
  }

  /** Polls an operation until done, reporting the segment as progress; returns its one video. */
  private async follow(name: string, run: HostedRun, segment: number, segments: number): Promise<GeneratedVideo> {
    let operation = new GenerateVideosOperation();
    operation.name = name;
    const started = Date.now();
    const report = () => run.progress({
      stage: 'sampling',
      step: segment,
      totalSteps: segments,
      percent: percentFor('sampling', segment - 0.5, segments),
      etaSeconds: null,
    });
    report();
    for (;;) {
      operation = await withBackoff(async () => {
        try {
          return await this.ai.operations.getVideosOperation({ operation, config: { abortSignal: run.signal } });
        } catch (error) {
          throw classifyVeoError(error);
        }
      }, this.config.retry, run.signal);
      if (operation.done) break;
      if (Date.now() - started > this.config.timeoutMs) {
        throw new JobError('provider_timeout', `Veo did not finish segment ${segment} of ${segments} within ${Math.round(this.config.timeoutMs / 1000)} s.`);
      }
      await sleep(this.config.pollMs, run.signal);
    }
    if (operation.error) throw operationFailure(operation.error);
    const [video] = operation.response?.generatedVideos ?? [];
    if (!video?.video) {
      const reasons = operation.response?.raiMediaFilteredReasons?.join(' ') ?? '';
      if ((operation.response?.raiMediaFilteredCount ?? 0) > 0 || reasons) {
        throw new JobError('safety_filtered', `Veo withheld the video under its safety filters.${reasons ? ` ${reasons}` : ''}`);
      }
      throw new JobError('output_missing', 'Veo finished without a video.');
    }
    return video;
  }

  private async download(video: GeneratedVideo, file: string, signal: AbortSignal): Promise<void> {
    await withBackoff(async () => {
      try {
        await this.ai.files.download({ file: video, downloadPath: file, config: { abortSignal: signal } });
      } catch (error) {
        throw classifyVeoError(error);
      }
    }, this.config.retry, signal);
  }
}
