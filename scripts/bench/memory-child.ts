/**
 * Figure 5's child process (its RSS is its own): the worker's real output path on one big file,
 * ComfyClient.download → encodeForWeb → publishOutput to a CloudObjectStore (the Admin SDK uploading
 * to the bench stack's local store server), from the built packages.
 * Input: BENCH_COMFY_URL, BENCH_FILE, BENCH_SUBFOLDER, BENCH_WORK_DIR, BENCH_BUCKET,
 * FIREBASE_STORAGE_EMULATOR_HOST. Output: one JSON line on stdout.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { initializeApp } from 'firebase-admin/app';
import { getStorage } from 'firebase-admin/storage';
import { CloudObjectStore, encodeForWeb, publishOutput, resolveTools } from '@vidgen/media';
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
  // Required, so that the bench can never write to a real bucket.
  required('FIREBASE_STORAGE_EMULATOR_HOST');
  const app = initializeApp({ storageBucket: required('BENCH_BUCKET') }, 'bench-memory');
  const store = new CloudObjectStore(app);
  // Loads the Cloud Storage client now, so that the idle figure counts it as the worker's would.
  getStorage(app).bucket();
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
  const paths = { video: 'videos/bench/memory.mp4', poster: 'videos/bench/memory.jpg' };
  const output = await timed('publish', () => publishOutput(store, encoded, paths));
  clearInterval(timer);
  await rm(workDir, { recursive: true, force: true });
  await Promise.all(Object.values(paths).map((path) => getStorage(app).bucket().file(path).delete()));
  process.stdout.write(`${JSON.stringify({ idle, peaks, times, sizeBytes: output.sizeBytes, codec: encoded.info.codec, frames: encoded.info.frameCount })}\n`);
}

main().catch((error: Error) => {
  process.stderr.write(`${error.stack ?? error.message}\n`);
  process.exit(1);
});
