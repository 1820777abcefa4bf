import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import ffprobeInstaller from '@ffprobe-installer/ffprobe';

/** What ffprobe says about a video file's first video stream. */
export interface VideoProbe {
  codec: string;
  pixFmt: string;
  width: number;
  height: number;
  fps: number;
  frames: number;
  durationSeconds: number;
  hasAudio: boolean;
}

interface ProbeJson {
  streams: Array<{ codec_type: string; codec_name: string; pix_fmt?: string; width?: number; height?: number; r_frame_rate?: string; nb_frames?: string }>;
  format: { duration: string };
}

/** Runs ffprobe on `file`. */
export async function probeVideo(file: string): Promise<VideoProbe> {
  const { stdout } = await promisify(execFile)(ffprobeInstaller.path, ['-v', 'error', '-show_entries', 'stream=codec_type,codec_name,pix_fmt,width,height,r_frame_rate,nb_frames:format=duration', '-of', 'json', file]);
  const json = JSON.parse(stdout) as ProbeJson;
  const video = json.streams.find((stream) => stream.codec_type === 'video');
  if (!video) throw new Error(`${file} has no video stream`);
  const [num, den] = (video.r_frame_rate ?? '0/1').split('/').map(Number);
  return {
    codec: video.codec_name,
    pixFmt: video.pix_fmt ?? '',
    width: video.width ?? 0,
    height: video.height ?? 0,
    fps: (num ?? 0) / (den || 1),
    frames: Number(video.nb_frames ?? 0),
    durationSeconds: Number(json.format.duration),
    hasAudio: json.streams.some((stream) => stream.codec_type === 'audio'),
  };
}
