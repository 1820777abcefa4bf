import { stat } from 'node:fs/promises';
import { JobError } from '@vidgen/contract';
import { run } from './ffmpeg';

export interface VideoInfo {
  codec: string;
  pixelFormat: string;
  width: number;
  height: number;
  frameCount: number;
  fps: number;
  durationSeconds: number;
}

function parseRate(rate: string): number {
  const [num, den] = rate.split('/').map(Number);
  return den ? (num ?? 0) / den : (num ?? 0);
}

/** Reads the first video stream's geometry, counting frames exactly. */
export async function probe(ffprobe: string, file: string, signal?: AbortSignal): Promise<VideoInfo> {
  const out = await run(ffprobe, [
    '-v', 'error', '-select_streams', 'v:0', '-count_frames',
    '-show_entries', 'stream=codec_name,pix_fmt,width,height,r_frame_rate,avg_frame_rate,nb_read_frames:format=duration,format_name',
    '-of', 'json', file,
  ], signal);
  const parsed = JSON.parse(out) as { streams?: Array<Record<string, string | number>>; format?: { duration?: string } };
  const stream = parsed.streams?.[0];
  if (!stream) throw new JobError('encode_failed', 'The workflow output has no video stream.');
  const fps = parseRate(String(stream.avg_frame_rate ?? stream.r_frame_rate ?? '0')) || parseRate(String(stream.r_frame_rate ?? '0'));
  const frameCount = Number(stream.nb_read_frames ?? 0);
  return {
    codec: String(stream.codec_name ?? ''),
    pixelFormat: String(stream.pix_fmt ?? ''),
    width: Number(stream.width),
    height: Number(stream.height),
    frameCount,
    fps: Math.round(fps * 1000) / 1000,
    durationSeconds: Number(parsed.format?.duration ?? 0) || (fps ? frameCount / fps : 0),
  };
}

export interface Encoded {
  video: string;
  poster: string;
  info: VideoInfo;
  sizeBytes: number;
}

/**
 * Makes a web-playable MP4 (H.264, yuv420p, faststart) and a JPEG poster from a workflow output.
 * An output that already is H.264 yuv420p is remuxed, not re-encoded: the GPU's frames stay as made.
 * `maxSeconds` cuts a longer source (a chain of extensions) to the length asked for. `keepAudio`
 * keeps the source's first audio track (Veo's sound), as AAC-LC 128 kb/s stereo 48 kHz, the most
 * widely playable audio in an MP4; without it the video is silent.
 */
export async function encodeForWeb(
  tools: { ffmpeg: string; ffprobe: string },
  input: string,
  output: { video: string; poster: string },
  signal?: AbortSignal,
  options: { maxSeconds?: number; keepAudio?: boolean } = {},
): Promise<Encoded> {
  try {
    const source = await probe(tools.ffprobe, input, signal);
    const trim = options.maxSeconds !== undefined && source.durationSeconds > options.maxSeconds ? ['-t', String(options.maxSeconds)] : [];
    const copy = source.codec === 'h264' && source.pixelFormat === 'yuv420p';
    const evenSize = ['-vf', 'scale=trunc(iw/2)*2:trunc(ih/2)*2'];
    const codec = copy ? ['-c:v', 'copy'] : ['-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-preset', 'veryfast', '-crf', '19', ...evenSize];
    const audio = options.keepAudio ? ['-map', '0:a:0?', '-c:a', 'aac', '-b:a', '128k', '-ac', '2', '-ar', '48000'] : ['-an'];
    // The poster is the source's first frame at the video's size, made beside the encode rather than after it.
    await Promise.all([
      run(tools.ffmpeg, ['-y', '-v', 'error', '-i', input, ...trim, '-map', '0:v:0', ...codec, ...audio, '-movflags', '+faststart', output.video], signal),
      run(tools.ffmpeg, ['-y', '-v', 'error', '-i', input, '-map', '0:v:0', '-frames:v', '1', ...(copy ? [] : evenSize), '-q:v', '3', output.poster], signal),
    ]);
    // A remux keeps every frame as it was: the source's geometry is the output's, without a second probe.
    const info = copy && trim.length === 0 ? source : await probe(tools.ffprobe, output.video, signal);
    const { size } = await stat(output.video);
    return { video: output.video, poster: output.poster, info, sizeBytes: size };
  } catch (error) {
    if (signal?.aborted || JobError.is(error)) throw error;
    throw new JobError('encode_failed', `The video could not be encoded: ${(error as Error).message}`, { cause: error });
  }
}
