import path from 'node:path';
import type { Logger } from 'pino';
import { googleId } from '../shared/ids';
import { evenSize, type VideoEncoder, type VideoSpec } from '../shared/video-encoder';
import { frameSize, VEO_FPS, type VeoAspectRatio, type VeoResolution } from './veo-models';

/** A generated video as the Files API holds it. */
export interface VeoFile {
  id: string;
  model: string;
  durationSeconds: number;
  aspectRatio: VeoAspectRatio;
  resolution: VeoResolution;
  width: number;
  height: number;
  path: string;
  /** Whether the operation that makes it finished with it (only those can be downloaded or extended). */
  published: boolean;
  /** When it was made (ms since the epoch); it is gone `retentionMs` later. */
  createdAt: number;
}

/** What a new file is made from. */
export interface VeoFileInput {
  model: string;
  durationSeconds: number;
  aspectRatio: VeoAspectRatio;
  resolution: VeoResolution;
  audio: boolean;
  seed: number;
}

/**
 * The generated videos, at the real output's size (1280x720 for 720p 16:9: the Gemini API's Veo
 * docs, "Resolution"), with sound for the models that make it. A file is encoded the first time it
 * is needed (when its operation is first seen done, or on download), once. A file is kept
 * `retentionMs` (the Gemini API keeps generated videos 2 days: Veo docs, "Limitations"); after that
 * it can be neither downloaded nor extended.
 */
export class VeoFileStore {
  private readonly files = new Map<string, VeoFile>();
  private readonly specs = new Map<string, VideoSpec>();
  private readonly renders = new Map<string, Promise<string>>();

  constructor(
    private readonly root: string,
    private readonly encoder: VideoEncoder,
    private readonly retentionMs: number,
    private readonly log: Logger,
  ) {}

  create(input: VeoFileInput): VeoFile {
    const id = googleId();
    const full = frameSize(input.resolution, input.aspectRatio);
    const width = evenSize(full.width);
    const height = evenSize(full.height);
    const file: VeoFile = {
      id,
      model: input.model,
      durationSeconds: input.durationSeconds,
      aspectRatio: input.aspectRatio,
      resolution: input.resolution,
      width,
      height,
      path: path.join(this.root, `${id}.mp4`),
      published: false,
      createdAt: Date.now(),
    };
    this.files.set(id, file);
    this.specs.set(id, { width, height, fps: VEO_FPS, frames: input.durationSeconds * VEO_FPS, seed: input.seed, audio: input.audio });
    return file;
  }

  get(id: string): VeoFile | undefined {
    return this.files.get(id);
  }

  /** A published file still kept, or undefined. */
  published(id: string): VeoFile | undefined {
    const file = this.files.get(id);
    return file?.published && Date.now() - file.createdAt < this.retentionMs ? file : undefined;
  }

  /** Marks the file downloadable and starts encoding it in the background. */
  publish(file: VeoFile): void {
    if (file.published) return;
    file.published = true;
    this.render(file).catch((error: unknown) => this.log.error({ err: error, fileId: file.id }, 'encoding a simulated Veo video failed'));
  }

  /** The path of the encoded file, encoding it first if needed. */
  render(file: VeoFile): Promise<string> {
    let rendering = this.renders.get(file.id);
    if (!rendering) {
      const spec = this.specs.get(file.id)!;
      const started = Date.now();
      rendering = this.encoder.encode(file.path, spec).then(() => {
        this.log.debug({ fileId: file.id, width: spec.width, height: spec.height, seconds: file.durationSeconds, ms: Date.now() - started }, 'synthetic Veo video encoded');
        return file.path;
      });
      rendering.catch(() => this.renders.delete(file.id));
      this.renders.set(file.id, rendering);
    }
    return rendering;
  }

  /** Waits for every encode in progress (failures included). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.renders.values()]);
  }

  get size(): number {
    return this.files.size;
  }
}
