import { GenerateVideosOperation, GoogleGenAI, type Fetch, type GeneratedVideo, type GenerateVideosParameters, type HttpOptions } from '@google/genai';
import { join } from 'node:path';
import {
  fitsInInvocation,
  JobError,
  nextSegmentStep,
  percentFor,
  roundUsd,
  segmentCount,
  segmentsCost,
  segmentPlan,
  veoModelExtends,
  VEO_VIDEO_RETENTION_MS,
  type Segment,
} from '@vidgen/contract';
import { downloadBounded, VEO_MAX_DOWNLOAD_BYTES } from './download';
import { sleep, type HostedProvider, type HostedResult, type HostedRun } from './hosted-provider';
import { providerCall, type ProviderCall, type RetryOptions } from './retry';
import { classifyVeoError, operationFailure } from './veo-errors';

export { classifyVeoError } from './veo-errors';

/** Seconds one Veo 3.1 extension adds (Gemini API docs, "Extending Veo videos"). */
export const VEO_EXTENSION_SECONDS = 7;

export interface VeoConfig {
  apiKey: string;
  model: string;
  /** Another endpoint than Google's (a local stand-in in tests). */
  baseUrl?: string;
  pollMs: number;
  /** Longest wait on one operation (one segment). */
  timeoutMs: number;
  costPerSecond: number;
  retry: RetryOptions;
  /**
   * Time one task invocation may spend on segments before it hands the chain on; what is left of
   * the invocation's deadline after it goes to downloading, encoding and storing.
   */
  invocationBudgetMs: number;
  /** How old a Veo video may be and still be extended: the API's retention less a margin. */
  videoRetentionMs?: number;
  /** The fetch the client sends with, when not the SDK's own (Jest's VM context lacks the dispatcher the SDK looks for). */
  fetch?: Fetch;
}

/** Keep an hour in hand before Veo deletes a video we still mean to extend. */
const RETENTION_MARGIN_MS = 60 * 60 * 1000;

/**
 * Tier 1: Google Veo through the Gemini API. One generation, then, for durations beyond one
 * generation, extensions of Veo's own stored video, segment by segment. Each operation's name is
 * saved on the attempt before it is waited on, and each finished segment is recorded before the next
 * starts, so a resumed run (the next invocation, or a redelivery after a lost one) follows the
 * operation in flight or extends the last recorded segment, never paying for one twice. An
 * invocation starts a segment only when a whole segment's timeout fits in its budget, and otherwise
 * hands the chain on, so any length the tier offers finishes within Cloud Tasks' 30-minute limit.
 * Each segment's cost is on the attempt from the write that records it (fenced: a job cancelled
 * meanwhile refuses that write, so no further segment is started and the finished ones are counted).
 */
export class VeoProvider implements HostedProvider {
  private readonly ai: GoogleGenAI;
  private readonly call: ProviderCall;

  constructor(private readonly config: VeoConfig) {
    const httpOptions: HttpOptions = { ...(config.baseUrl ? { baseUrl: config.baseUrl } : {}), ...(config.fetch ? { fetch: config.fetch } : {}) };
    this.ai = new GoogleGenAI({ apiKey: config.apiKey, ...(Object.keys(httpOptions).length > 0 ? { httpOptions } : {}) });
    this.call = providerCall(classifyVeoError, config.retry);
  }

  async run(run: HostedRun): Promise<HostedResult> {
    const wanted = run.params.durationSeconds;
    const plan = segmentPlan('veo', wanted);
    const total = segmentCount(plan);
    const retentionMs = this.config.videoRetentionMs ?? VEO_VIDEO_RETENTION_MS - RETENTION_MARGIN_MS;
    const state = { providerJobId: run.attempt.providerJobId, segments: [...(run.attempt.segments ?? [])] };
    // The callable offers longer clips only with a model that extends; a job made before VEO_MODEL
    // changed ends here, before anything is paid for that could not be finished.
    if (plan.extensions > 0 && !veoModelExtends(this.config.model)) {
      throw new JobError('tier_unavailable', `A ${wanted} s clip needs ${plan.extensions} Veo extensions, and VEO_MODEL ${this.config.model} cannot extend a video.`);
    }

    for (;;) {
      const step = nextSegmentStep(plan, state, new Date(), retentionMs);
      if (step.kind === 'done') return this.finish(run, step.last, step.costUsd, wanted);
      if (step.kind === 'expired') {
        throw new JobError('provider_input_expired', `Segment ${step.segment - 1} of ${total} (${step.from.operation}) was recorded at ${step.from.completedAt.toISOString()}; Veo keeps its videos 2 days, so it can no longer be extended.`);
      }
      const fits = fitsInInvocation({ startedAtMs: run.invocationStartedAtMs, nowMs: Date.now(), budgetMs: this.config.invocationBudgetMs, segmentTimeoutMs: this.config.timeoutMs });
      if (!fits) return run.handOff();

      const previous = state.segments.at(-1);
      const operation = step.kind === 'follow'
        ? step.operation
        : await this.start(run, step.kind === 'generate' ? await this.generation(run, plan.baseSeconds) : this.extension(run, step.from));
      state.providerJobId = operation;
      const video = await this.follow(operation, run, step.segment, total);
      const uri = video.video?.uri;
      if (!uri) throw new JobError('output_missing', `Veo finished segment ${step.segment} without a video uri.`);
      const seconds = previous ? previous.seconds + VEO_EXTENSION_SECONDS : plan.baseSeconds;
      const made = seconds - (previous?.seconds ?? 0);
      const recorded = await run.recordSegment({ operation, videoUri: uri, seconds, costUsd: roundUsd(made * this.config.costPerSecond) });
      state.segments.push(recorded);
      await run.recordCost(segmentsCost(state));
    }
  }

  private async generation(run: HostedRun, seconds: number): Promise<GenerateVideosParameters> {
    const image = await run.referenceImage();
    return {
      model: this.config.model,
      source: { prompt: run.request.prompt, ...(image ? { image: { imageBytes: image.bytes.toString('base64'), mimeType: image.mimeType } } : {}) },
      config: {
        numberOfVideos: 1,
        durationSeconds: seconds,
        aspectRatio: run.params.aspectRatio,
        ...(run.request.negativePrompt ? { negativePrompt: run.request.negativePrompt } : {}),
      },
    };
  }

  /** An extension names the video Veo stored for the last segment (the Gemini API takes only its own videos). */
  private extension(run: HostedRun, from: Segment): GenerateVideosParameters {
    return { model: this.config.model, source: { prompt: run.request.prompt, video: { uri: from.videoUri } }, config: { numberOfVideos: 1 } };
  }

  /** Downloads the whole clip (the last segment's video holds every segment) and states its cost. */
  private async finish(run: HostedRun, last: Segment, costUsd: number, wanted: number): Promise<HostedResult> {
    run.progress({ stage: 'decoding', step: null, totalSteps: null, percent: percentFor('decoding'), etaSeconds: null });
    const videoFile = join(run.workDir, 'veo.mp4');
    await this.download(last.videoUri, videoFile, run.signal);
    return {
      videoFile,
      ...(last.seconds > wanted ? { trimToSeconds: wanted } : {}),
      keepAudio: run.request.audio !== false,
      costUsd,
    };
  }

  /** Starts an operation (with backoff on 429/5xx) and saves its name on the attempt. */
  private async start(run: HostedRun, parameters: GenerateVideosParameters): Promise<string> {
    // Nothing paid starts once the run was told to stop (a cancel, a lost lease).
    run.signal.throwIfAborted();
    const operation = await this.call(() => this.ai.models.generateVideos({ ...parameters, config: { ...parameters.config, abortSignal: run.signal } }), run.signal);
    if (!operation.name) throw new JobError('provider_failed', 'Veo returned an operation without a name.');
    await run.saveProviderJobId(operation.name);
    return operation.name;
  }

  /** Polls an operation until done, reporting the segment as progress; returns its one video. */
  private async follow(name: string, run: HostedRun, segment: number, segments: number): Promise<GeneratedVideo> {
    let operation = new GenerateVideosOperation();
    operation.name = name;
    const started = Date.now();
    run.progress({ stage: 'sampling', step: segment, totalSteps: segments, percent: percentFor('sampling', segment - 0.5, segments), etaSeconds: null });
    for (;;) {
      operation = await this.call(() => this.ai.operations.getVideosOperation({ operation, config: { abortSignal: run.signal } }), run.signal);
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
        // Veo's filter reasons are written for end users (what to change in the prompt), so the owner reads them too.
        const message = `Veo withheld the video under its safety filters.${reasons ? ` ${reasons}` : ''}`;
        throw new JobError('safety_filtered', message, { userMessage: message });
      }
      throw new JobError('output_missing', 'Veo finished without a video.');
    }
    return video;
  }

  /**
   * Fetches the clip from its uri with the API key (what `files.download` does), streamed and bounded:
   * the run's folder is memory on Cloud Functions (see `downloadBounded`).
   */
  private async download(uri: string, file: string, signal: AbortSignal): Promise<void> {
    await this.call(
      () => downloadBounded(uri, file, { provider: 'Veo', maxBytes: VEO_MAX_DOWNLOAD_BYTES, signal, headers: { 'x-goog-api-key': this.config.apiKey } }),
      signal,
    );
  }
}
