import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import ffmpegInstaller from '@ffmpeg-installer/ffmpeg';
import ffprobeInstaller from '@ffprobe-installer/ffprobe';

const exec = promisify(execFile);

/** The ffmpeg and ffprobe shipped in the npm packages (there may be none on PATH). */
export const tools = { ffmpeg: ffmpegInstaller.path, ffprobe: ffprobeInstaller.path };

/** Runs ffmpeg quietly and returns its stdout. */
export async function ffmpeg(args: string[]): Promise<string> {
  const { stdout } = await exec(tools.ffmpeg, ['-hide_banner', '-v', 'error', ...args], { maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

export interface Probed {
  codec: string;
  pixelFormat: string;
  width: number;
  height: number;
  frames: number;
  formatName: string;
}

/** ffprobe's own view of a file's first video stream, frames counted by decoding. */
export async function ffprobe(file: string): Promise<Probed> {
  const { stdout } = await exec(tools.ffprobe, [
    '-v', 'error', '-select_streams', 'v:0', '-count_frames',
    '-show_entries', 'stream=codec_name,pix_fmt,width,height,nb_read_frames:format=format_name',
    '-of', 'json', file,
  ]);
  const parsed = JSON.parse(stdout) as { streams: Array<Record<string, string | number>>; format: { format_name: string } };
  const stream = parsed.streams[0];
  if (!stream) throw new Error(`${file} has no video stream`);
  return {
    codec: String(stream.codec_name),
    pixelFormat: String(stream.pix_fmt),
    width: Number(stream.width),
    height: Number(stream.height),
    frames: Number(stream.nb_read_frames),
    formatName: parsed.format.format_name,
  };
}

/** Size and md5 of every video packet, without timestamps: equal lists mean the bitstream was copied. */
export async function packetDigests(file: string): Promise<string[]> {
  const out = await ffmpeg(['-i', file, '-map', '0:v:0', '-c', 'copy', '-f', 'framemd5', '-']);
  return out
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => line.split(',').map((part) => part.trim()))
    .map((parts) => `${parts[4]} ${parts[5]}`);
}

/** A test-pattern clip from lavfi, in whatever container and codec the arguments ask for. */
export async function makeClip(file: string, options: { frames: number; width: number; height: number; fps?: number; codecArgs?: string[] }): Promise<void> {
  const fps = options.fps ?? 10;
  await ffmpeg([
    '-y', '-f', 'lavfi', '-i', `testsrc=size=${options.width}x${options.height}:rate=${fps}`,
    '-frames:v', String(options.frames), ...(options.codecArgs ?? []), file,
  ]);
}

/** A fresh temporary folder and a function that removes it. */
export async function tempDir(prefix: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `${prefix}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
