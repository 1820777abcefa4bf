import { FfmpegError, runFfmpeg } from '@vidgen/sim-kit';
import { PyError } from '../validation/py-values';

/** The containers and codecs the simulator writes. */
export type VideoEncoding = 'h264-mp4' | 'h265-mp4' | 'webm' | 'gif' | 'webp' | 'png';

/** What to write: a synthetic test pattern of the graph's geometry, tinted by the seed. */
export interface VideoSpec {
  width: number;
  height: number;
  frames: number;
  fps: number;
  seed: number;
  encoding: VideoEncoding;
  /** x264/x265 quality. */
  crf?: number;
}

const FFMPEG_MISSING =
  'ffmpeg is required for video outputs and could not be found.\nIn order to use video outputs, you must either:\n' +
  '- Install imageio-ffmpeg with pip,\n- Place a ffmpeg executable in the ComfyUI directory, or\n- Install ffmpeg and add it to the system path.';

function even(filter: string): string {
  return `${filter},pad=ceil(iw/2)*2:ceil(ih/2)*2`;
}

function codecArgs(spec: VideoSpec): string[] {
  const crf = String(spec.crf ?? 19);
  switch (spec.encoding) {
    case 'h264-mp4':
      return ['-c:v', 'libx264', '-preset', 'ultrafast', '-crf', crf, '-pix_fmt', 'yuv420p', '-movflags', '+faststart'];
    case 'h265-mp4':
      return ['-c:v', 'libx265', '-preset', 'ultrafast', '-crf', crf, '-pix_fmt', 'yuv420p', '-tag:v', 'hvc1', '-movflags', '+faststart'];
    case 'webm':
      return ['-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '0', '-crf', '32', '-pix_fmt', 'yuv420p'];
    case 'gif':
      return ['-c:v', 'gif', '-loop', '0'];
    case 'webp':
      return ['-c:v', 'libwebp_anim', '-loop', '0', '-quality', '80'];
    case 'png':
      return ['-c:v', 'png', '-update', '1'];
  }
}

/** Writes real video files with ffmpeg. */
export class VideoWriter {
  constructor(
    private readonly ffmpegPath: string,
    private readonly signal: AbortSignal,
  ) {}

  /**
   * Encodes `spec.frames` frames of ffmpeg's testsrc2 pattern, hue-shifted by the seed, to `file`.
   * Failures are thrown as the Python exceptions VideoHelperSuite raises.
   */
  async write(file: string, spec: VideoSpec): Promise<void> {
    const hue = Math.abs(Math.trunc(spec.seed)) % 360;
    const tint = `hue=h=${hue}`;
    const videoFilter = spec.encoding === 'gif' || spec.encoding === 'webp' || spec.encoding === 'png' ? tint : even(tint);
    const args = [
      '-hide_banner', '-loglevel', 'error', '-nostdin', '-y',
      '-f', 'lavfi', '-i', `testsrc2=size=${spec.width}x${spec.height}:rate=${spec.fps}`,
      '-vf', videoFilter, '-frames:v', String(spec.frames), '-r', String(spec.fps), ...codecArgs(spec), file,
    ];
    await this.run(args);
  }

  private async run(args: string[]): Promise<void> {
    try {
      await runFfmpeg(this.ffmpegPath, args, this.signal);
    } catch (error) {
      if (!(error instanceof FfmpegError) || error.reason === 'stopped') throw error;
      throw error.reason === 'missing'
        ? new PyError('ProcessLookupError', FFMPEG_MISSING)
        : new PyError('Exception', `An error occurred in the ffmpeg subprocess:\n${error.stderr}`);
    }
  }
}
