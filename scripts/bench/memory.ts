import { spawn } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { emulatorEnv, ROOT } from '../stack/stack';
import type { BenchContext, SectionResult } from './context';
import { mb, ms } from './stats';

const TARGET_BYTES = 150e6;
const SOURCE_SECONDS = 21;
const MIN_SOURCE_BYTES = 190e6;
const SUBFOLDER = 'bench';
const FILE = 'bench-200mb.mp4';

interface ChildResult {
  idle: number;
  peaks: Record<string, number>;
  times: Record<string, number>;
  sizeBytes: number;
  codec: string;
  frames: number;
}

/** Runs a command to completion; rejects with the tail of stderr. */
function run(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; signal: AbortSignal; timeoutMs: number; onLine?: (line: string) => void }): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], signal: options.signal, timeout: options.timeoutMs, killSignal: 'SIGKILL' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const lines = stdout.split('\n');
      for (const line of lines.slice(0, -1)) options.onLine?.(line);
      stdout = lines.at(-1) ?? '';
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve(stdout);
      else reject(new Error(`${command.split('/').pop()} ended with ${code ?? signal}: ${stderr.trim().split('\n').slice(-4).join(' | ')}`));
    });
  });
}

/** A ~200 MB H.264 (yuv420p, so the worker remuxes it) 1080p file, made once and kept in the bench folder. */
async function ensureSource(ctx: BenchContext): Promise<string> {
  const dir = join(ctx.stateDir, 'media');
  const file = join(dir, FILE);
  if (existsSync(file) && statSync(file).size >= MIN_SOURCE_BYTES) return file;
  mkdirSync(dir, { recursive: true });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ffmpeg = (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
  const step = ctx.progress.step('5 memory: making a ~200 MB H.264 source (once)', SOURCE_SECONDS);
  let shown = 0;
  const partial = `${file}.partial.mp4`;
  try {
    await run(ffmpeg, [
      '-y', '-v', 'error', '-nostats', '-progress', 'pipe:1',
      '-f', 'lavfi', '-i', 'testsrc2=size=1920x1080:rate=25', '-t', String(SOURCE_SECONDS),
      '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p',
      '-b:v', '80M', '-minrate', '80M', '-maxrate', '80M', '-bufsize', '80M', '-x264-params', 'nal-hrd=cbr',
      partial,
    ], {
      signal: ctx.signal,
      timeoutMs: 240_000,
      onLine: (line) => {
        const match = /^out_time_us=(\d+)/.exec(line);
        while (match && shown < Math.min(SOURCE_SECONDS, Math.floor(Number(match[1]) / 1e6))) {
          shown += 1;
          step.tick();
        }
      },
    });
  } finally {
    step.done();
  }
  renameSync(partial, file);
  return file;
}

/** Figure 5: RSS of the worker's output path (download → remux → upload) on a ~200 MB video, in a child process. */
export async function measureMemory(ctx: BenchContext): Promise<SectionResult> {
  const source = await ensureSource(ctx);
  const sourceBytes = statSync(source).size;
  const state = (await (await fetch(`${ctx.worker.comfyuiUrl}/sim/state`)).json()) as { dataDir: string };
  const folder = join(state.dataDir, 'output', SUBFOLDER);
  mkdirSync(folder, { recursive: true });
  const served = join(folder, FILE);
  rmSync(served, { force: true });
  linkSync(source, served);

  const step = ctx.progress.step('5 memory: download → encodeForWeb → publishOutput', 1);
  let result: ChildResult | undefined;
  try {
    const out = await run(process.execPath, ['--import', 'tsx', join(__dirname, 'memory-child.ts')], {
      env: {
        ...process.env,
        ...emulatorEnv(ctx.state.ports, ctx.state.projectId),
        BENCH_COMFY_URL: ctx.worker.comfyuiUrl,
        BENCH_FILE: FILE,
        BENCH_SUBFOLDER: SUBFOLDER,
        BENCH_WORK_DIR: join(ctx.stateDir, 'memory-work'),
        BENCH_BUCKET: `${ctx.state.projectId}.appspot.com`,
      },
      signal: ctx.signal,
      timeoutMs: 300_000,
      onLine: (line) => {
        if (line.startsWith('{')) result = JSON.parse(line) as ChildResult;
      },
    });
    if (out.startsWith('{')) result = JSON.parse(out) as ChildResult;
    step.tick();
  } finally {
    step.done();
    rmSync(served, { force: true });
  }
  const measured = result;
  if (!measured) throw new Error('the memory child printed no result');
  const peak = Math.max(...Object.values(measured.peaks));
  const above = peak - measured.idle;
  return {
    title: '5. Worker memory on a ~200 MB output (child process, RSS sampled every 20 ms)',
    details: [
      {
        title: `Phases (source ${mb(sourceBytes)}, ${measured.codec}, ${measured.frames} frames, stored ${mb(measured.sizeBytes)})`,
        header: ['phase', 'time', 'peak RSS', 'peak − idle'],
        rows: Object.entries(measured.peaks).map(([phase, rss]) => [phase, ms(measured.times[phase] ?? Number.NaN), mb(rss), mb(rss - measured.idle)]),
        notes: [`idle RSS ${mb(measured.idle)} (modules loaded, nothing running); ffmpeg/ffprobe run as their own processes and are not in this RSS.`],
      },
    ],
    figures: [
      { id: '5', name: 'worker RSS above idle on a 200 MB output (idle / peak)', value: `${mb(above)} (${mb(measured.idle)} / ${mb(peak)})`, target: `< ${mb(TARGET_BYTES)}`, pass: above < TARGET_BYTES },
    ],
  };
}
