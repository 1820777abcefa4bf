import { rename, rm } from 'node:fs/promises';
import { FfmpegError, runFfmpeg } from '@vidgen/sim-kit';

/** A synthetic clip: ffmpeg's testsrc2 pattern, hue-shifted by `seed`, H.264 yuv420p in MP4. */
export interface VideoSpec {
  width: number;
  height: number;
  fps: number;
  frames: number;
  /** Picks the tint, so different requests give visibly different clips. */
  seed: number;
  /** Adds a quiet AAC tone track, as Veo 3 clips carry sound. */
  audio?: boolean;
}

/** Thrown when ffmpeg cannot be started or fails. */
export class VideoEncodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VideoEncodeError';
  }
}

/** Even dimensions (yuv420p needs them), at least 2 pixels. */
export function evenSize(value: number): number {
  return Math.max(2, 2 * Math.round(value / 2));
}

/** Writes real MP4 files with ffmpeg. */
export class VideoEncoder {
  constructor(
    private readonly ffmpegPath: string,
    private readonly signal: AbortSignal,
  ) {}

  /** Encodes `spec` to `file`, writing a temporary file first so a reader never sees half a video. */
  async encode(file: string, spec: VideoSpec): Promise<void> {
    const partial = `${file}.partial.mp4`;
    const hue = Math.abs(Math.trunc(spec.seed)) % 360;
    const seconds = spec.frames / spec.fps;
    const args = ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${spec.width}x${spec.height}:rate=${spec.fps}`];
    if (spec.audio) args.push('-f', 'lavfi', '-i', `sine=frequency=${220 + (hue % 200)}:sample_rate=48000`);
    args.push('-vf', `hue=h=${hue}`, '-frames:v', String(spec.frames), '-r', String(spec.fps));
    args.push('-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '28', '-pix_fmt', 'yuv420p');
    if (spec.audio) args.push('-c:a', 'aac', '-b:a', '48k', '-t', seconds.toFixed(3));
    args.push('-movflags', '+faststart', partial);
    try {
      await this.run(args);
      await rename(partial, file);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
  }

  private async run(args: string[]): Promise<void> {
    try {
      await runFfmpeg(this.ffmpegPath, args, this.signal);
    } catch (error) {
      throw error instanceof FfmpegError ? new VideoEncodeError(error.message) : error;
    }
  }
}
