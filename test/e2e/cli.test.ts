import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../../scripts/stack/stack';
import { adminDb } from '../support/admin';
import { setStepMs } from '../support/comfy-sim';
import { clearProviderScripts, scriptProvider } from '../support/provider-sims';
import { stackState } from '../support/stack-state';

jest.setTimeout(180_000);
/* eslint-disable @typescript-eslint/no-require-imports */
const ffmpeg = (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
const ffprobe = (require('@ffprobe-installer/ffprobe') as { path: string }).path;
/* eslint-enable @typescript-eslint/no-require-imports */
const dir = mkdtempSync(join(tmpdir(), 'vidgen-cli-'));

interface CliRun {
  child: ChildProcess;
  /** Output so far, while it runs. */
  stdout(): string;
  /** Resolves once the output contains `text`. */
  waitFor(text: RegExp, timeoutMs?: number): Promise<void>;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/** Runs `npm run generate` as a user would, as a child process, against the test stack unless told otherwise. */
function startCli(args: string[], stackStateFile = process.env.VIDGEN_STACK_STATE!): CliRun {
  const child = spawn(join(ROOT, 'node_modules', '.bin', 'tsx'), ['scripts/generate.ts', ...args, '--stack-state', stackStateFile], { cwd: ROOT, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const listeners: Array<() => void> = [];
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    for (const listener of [...listeners]) listener();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  return {
    child,
    stdout: () => stdout,
    done,
    waitFor: (text, timeoutMs = 60_000) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`The CLI did not print ${text} in ${timeoutMs} ms; stdout: ${stdout}\nstderr: ${stderr}`)), timeoutMs);
        const check = () => {
          if (!text.test(stdout)) return;
          clearTimeout(timer);
          listeners.splice(listeners.indexOf(check), 1);
          resolve();
        };
        listeners.push(check);
        check();
      }),
  };
}

const runCli = (args: string[], stackStateFile?: string) => startCli(args, stackStateFile).done;

async function probe(file: string): Promise<{ width: number; height: number; frames: number; codec: string }> {
  const { stdout } = await promisify(execFile)(ffprobe, ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,width,height,nb_read_frames', '-of', 'json', file]);
  const stream = (JSON.parse(stdout) as { streams: Array<Record<string, string | number>> }).streams[0]!;
  return { width: Number(stream.width), height: Number(stream.height), frames: Number(stream.nb_read_frames), codec: String(stream.codec_name) };
}

function jobIdIn(stdout: string): string {
  const match = /Job ([A-Za-z0-9]{20})\b/.exec(stdout);
  if (!match) throw new Error(`No job id in the CLI's output: ${stdout}`);
  return match[1]!;
}

describe('npm run generate (the command-line client) against the local stack', () => {
  it('makes an AnimateDiff video, shows its progress and attempt, and saves a playable MP4 where --out says', async () => {
    const out = join(dir, 'fox.mp4');
    const { code, stdout, stderr } = await runCli(['a red fox in snow', '--model', 'animatediff', '--out', out, '--seed', '7']);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(/\[\s*\d+%\] sampling \d+\/20 · animatediff on comfyui · ETA /);
    expect(stdout).toMatch(/Attempt 1: animatediff on comfyui \(local-worker-\d\) succeeded in [\d.]+ s, \$\d+\.\d{4}/);
    expect(stdout).toContain(`Saved ${out}`);
    expect(stdout).toMatch(/512x512, 3 s \(24 frames at 8 fps\)/);
    expect(stdout).toMatch(/Cost: \$\d+\.\d{4}/);
    expect(await probe(out)).toEqual({ codec: 'h264', width: 512, height: 512, frames: 24 });
    expect(readdirSync(dir).filter((name) => name.endsWith('.partial'))).toEqual([]);

    const job = (await adminDb().collection('jobs').doc(jobIdIn(stdout)).get()).data()!;
    expect(job.state).toBe('succeeded');
    expect(job.request).toMatchObject({ prompt: 'a red fox in snow', model: 'animatediff', seed: 7 });
    expect(statSync(out).size).toBe(job.output.sizeBytes);
  });

  it('uploads --image through the Storage API, and SVD animates it (the worker reads the uploaded file)', async () => {
    const image = join(dir, 'reference.png');
    execFileSync(ffmpeg, ['-y', '-v', 'error', '-f', 'lavfi', '-i', 'testsrc=s=640x360', '-frames:v', '1', image]);
    const out = join(dir, 'svd.mp4');
    const { code, stdout, stderr } = await runCli(['the scene slowly comes alive', '--model', 'svd', '--image', image, '--out', out]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const uploaded = /Uploaded the reference image to (uploads\/[A-Za-z0-9]+\/\d+-reference\.png)/.exec(stdout)?.[1];
    expect(uploaded).toBeDefined();

    const job = (await adminDb().collection('jobs').doc(jobIdIn(stdout)).get()).data()!;
    expect(job.request.referenceImagePath).toBe(uploaded);
    expect(job.attempts).toEqual([expect.objectContaining({ tier: 'svd', outcome: 'succeeded' })]);
    expect(await probe(out)).toMatchObject({ codec: 'h264', width: 1024, height: 576, frames: 25 });
    // The worker read the upload from the store; once the job ended, nothing needed it and it was removed.
    const { storeDir, projectId } = stackState();
    const stored = join(storeDir, `${projectId}.appspot.com`, uploaded!);
    for (let i = 0; i < 50 && existsSync(stored); i += 1) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(existsSync(stored)).toBe(false);
  });

  it("refuses invalid input with exit 1 and the server's message", async () => {
    const { code, stdout, stderr } = await runCli(['a red fox in snow', '--duration', '200']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/invalid-argument\): durationSeconds: veo makes .*not 200 s; durationSeconds: animatediff makes 1-4 s, not 200 s/);
    expect(stdout).not.toMatch(/Job /);
  });

  it('reports a failed job with its code and message, and each failed attempt, exit 1', async () => {
    const marker = randomUUID();
    await scriptProvider('veo', { promptContains: marker, outcome: 'safety_filtered' });
    try {
      const out = join(dir, 'withheld.mp4');
      const { code, stdout, stderr } = await runCli([`a crowded stadium ${marker}`, '--model', 'veo', '--duration', '4', '--out', out]);
      expect(code).toBe(1);
      expect(stdout).toMatch(/Attempt 1: veo on gemini .*failed in [\d.]+ s, \$\d+\.\d{4}: safety_filtered: /);
      expect(stderr).toMatch(/^Error: The video failed: safety_filtered: .+/m);
      expect(existsSync(out)).toBe(false);
    } finally {
      await clearProviderScripts();
    }
  });

  it('says that the stack is not running when nothing answers at its ports', async () => {
    const ports = await Promise.all(Array.from({ length: 4 }, () => new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    })));
    const stateFile = join(dir, 'stopped-stack.json');
    writeFileSync(stateFile, JSON.stringify({ projectId: 'demo-stopped', region: 'us-central1', ports: { auth: ports[0], firestore: ports[1], functions: ports[2], store: ports[3] } }));
    const { code, stderr } = await runCli(['a red fox in snow'], stateFile);
    expect(code).toBe(1);
    expect(stderr).toMatch(/The local stack is not running: nothing answers at 127\.0\.0\.1:\d+ .*Is npm start running\?/);

    const missing = await runCli(['a red fox in snow'], join(dir, 'no-such-stack.json'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/does not exist: is npm start running\?/);
  });

  it('cancels the job on Ctrl-C and exits 130', async () => {
    await setStepMs(400);
    try {
      const run = startCli(['a slow fox', '--model', 'animatediff', '--out', join(dir, 'never.mp4')]);
      await run.waitFor(/sampling \d+\/20/);
      const jobId = jobIdIn(run.stdout());
      run.child.kill('SIGINT');
      const { code, stderr } = await run.done;
      expect(code).toBe(130);
      expect(stderr).toContain(`Interrupted: cancelling job ${jobId}`);
      expect(stderr).toContain(`Job ${jobId} is cancelled.`);
      expect((await adminDb().collection('jobs').doc(jobId).get()).data()!.state).toBe('cancelled');
      expect(existsSync(join(dir, 'never.mp4'))).toBe(false);
    } finally {
      await setStepMs(stackState().timing.simStepMs);
    }
  });

  it('reports usage mistakes with exit 2 before contacting anything', async () => {
    const { code, stderr } = await runCli(['a fox', '--image', join(dir, 'picture.gif')]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/--image must be a \.png, \.jpg, \.jpeg or \.webp file/);
  });
});
