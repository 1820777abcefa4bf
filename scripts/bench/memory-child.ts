/**
 * Figure 5's child process (its RSS is its own): the worker's real output path on one big file,
 * ComfyClient.download → encodeForWeb → publishOutput to a LocalObjectStore, from the built packages.
 * Input: BENCH_COMFY_URL, BENCH_FILE, BENCH_SUBFOLDER, BENCH_WORK_DIR. Output: one JSON line on stdout.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeForWeb, LocalObjectStore, publishOutput, resolveTools } from '@vidgen/media';
import { ComfyClient } from 'gpu-worker/dist/comfy/client';

const SAMPLE_MS = 20;

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

async function main(): Promise<void> {
  const workDir = required('BENCH_WORK_DIR');
  await rm(workDir, { recursive: true, force: true });
  await mkdir(workDir, { recursive: true });
  const client = new ComfyClient(required('BENCH_COMFY_URL'));
  const store = new LocalObjectStore(join(workDir, 'store'), 'demo-vidgen-bench.appspot.com', 'http://127.0.0.1:49199');
  const tools = resolveTools({ ffmpegPath: process.env.FFMPEG_PATH, ffprobePath: process.env.FFPROBE_PATH });

  // Idle: everything loaded, nothing running; the median of a short series.
  const idleSamples: number[] = [];
  for (let i = 0; i < 15; i += 1) {
    idleSamples.push(process.memoryUsage().rss);
    await new Promise((resolve) => setTimeout(resolve, SAMPLE_MS));
  }
  const idle = [...idleSamples].sort((a, b) => a - b)[Math.floor(idleSamples.length / 2)] as number;

  let phase = 'download';
  const peaks: Record<string, number> = {};
  const sample = () => {
    const rss = process.memoryUsage().rss;
    peaks[phase] = Math.max(peaks[phase] ?? 0, rss);
  };
  const timer = setInterval(sample, SAMPLE_MS);
  const times: Record<string, number> = {};
  const timed = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    sample();
    phase = name;
    const started = Date.now();
    const result = await work();
    sample();
    times[name] = Date.now() - started;
    return result;
  };

  const raw = join(workDir, 'comfy-output.mp4');
  await timed('download', () => client.download({ filename: required('BENCH_FILE'), subfolder: process.env.BENCH_SUBFOLDER ?? '', type: 'output' }, raw));
  const encoded = await timed('encode', () => encodeForWeb(tools, raw, { video: join(workDir, 'video.mp4'), poster: join(workDir, 'poster.jpg') }));
  const output = await timed('publish', () => publishOutput(store, encoded, { video: 'videos/bench/memory.mp4', poster: 'videos/bench/memory.jpg' }));
  clearInterval(timer);
  await rm(workDir, { recursive: true, force: true });
  process.stdout.write(`${JSON.stringify({ idle, peaks, times, sizeBytes: output.sizeBytes, codec: encoded.info.codec, frames: encoded.info.frameCount })}\n`);
}

main().catch((error: Error) => {
  process.stderr.write(`${error.stack ?? error.message}\n`);
  process.exit(1);
});
