import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const ffprobePath = (require('@ffprobe-installer/ffprobe') as { path: string }).path;

export interface ProbedVideo {
  codec: string;
  width: number;
  height: number;
  frames: number;
  fps: string;
  formatName: string;
}

/** Downloads a URL to a file and probes it with ffprobe, counting frames. */
export async function downloadAndProbe(url: string, file: string): Promise<{ probe: ProbedVideo; bytes: number; contentType: string | null }> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url}: ${response.status}`);
  const bytes = Buffer.from(await response.arrayBuffer());
  await writeFile(file, bytes);
  const { stdout } = await run(ffprobePath, ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,width,height,nb_read_frames,r_frame_rate:format=format_name', '-of', 'json', file]);
  const parsed = JSON.parse(stdout) as { streams: Array<Record<string, string | number>>; format: { format_name: string } };
  const stream = parsed.streams[0]!;
  return {
    bytes: bytes.length,
    contentType: response.headers.get('content-type'),
    probe: {
      codec: String(stream.codec_name),
      width: Number(stream.width),
      height: Number(stream.height),
      frames: Number(stream.nb_read_frames),
      fps: String(stream.r_frame_rate),
      formatName: parsed.format.format_name,
    },
  };
}
