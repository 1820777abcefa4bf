import { execFileSync } from 'node:child_process';
import { createReadStream, mkdtempSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CloudObjectStore } from '@vidgen/media';
import { adminApp } from '../support/admin';
import { setStepMs, simControl } from '../support/comfy-sim';
import { stackState } from '../support/stack-state';
import { isTerminalJob, signedInUser, watchJob, type WebUser } from '../support/web-client';

jest.setTimeout(120_000);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const ffmpeg = (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
const dir = mkdtempSync(join(tmpdir(), 'vidgen-clean-'));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every file in every simulator's output/, input/ and temp/ folders whose path names the job. */
async function filesOfJob(jobId: string): Promise<string[]> {
  const stateDir = dirname(process.env.VIDGEN_STACK_STATE!);
  const found: string[] = [];
  for (let i = 1; i <= stackState().workers.length; i += 1) {
    for (const folder of ['output', 'input', 'temp']) {
      const root = join(stateDir, `comfyui-${i}`, folder);
      const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
      found.push(...entries.filter((e) => e.isFile() && e.name.includes(jobId)).map((e) => join(e.parentPath, e.name)));
    }
  }
  return found;
}

/** Waits until the simulators hold nothing of the job (the worker removes it as the attempt ends). */
async function expectNothingLeft(jobId: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  let left = await filesOfJob(jobId);
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(200);
    left = await filesOfJob(jobId);
  }
  expect(left).toEqual([]);
}

/** Whether any simulator's ComfyUI history (not the simulator's own archive) still lists a prompt of the job. */
async function inComfyHistory(jobId: string): Promise<boolean> {
  const histories = (await simControl('/history')) as Array<Record<string, unknown>>;
  return histories.some((history) => JSON.stringify(history).includes(jobId));
}

describe('a pod keeps nothing of a finished job', () => {
  let user: WebUser;
  beforeAll(async () => {
    user = await signedInUser();
    // Starts the cancel function before the test needs it fast: a cold start on a busy machine can outlast the encode.
    await user.cancelVideoJob('no-such-job').catch(() => undefined);
  });
  afterEach(async () => {
    await setStepMs(60);
    await simControl('/sim/timing', { frameMs: 10 });
  });
  afterAll(() => user.close());

  it('after a success: no output, no PNG beside it, no uploaded reference image, no history entry', async () => {
    const image = join(dir, 'reference.png');
    execFileSync(ffmpeg, ['-y', '-v', 'error', '-f', 'lavfi', '-i', 'testsrc=s=640x360', '-frames:v', '1', image]);
    const referenceImagePath = `uploads/${user.uid}/reference.png`;
    await new CloudObjectStore(adminApp(), `${stackState().projectId}.appspot.com`).put(referenceImagePath, createReadStream(image), { contentType: 'image/png' });
    const { jobId } = await user.createVideoJob({ prompt: 'the harbour at noon', model: 'svd', referenceImagePath });
    const watch = watchJob(user, jobId);
    const done = await watch.until(isTerminalJob, 100_000);
    watch.stop();
    expect(done.state).toBe('succeeded');
    await expectNothingLeft(jobId);
    expect(await inComfyHistory(jobId)).toBe(false);
    // The simulator did write them: its archive has the prompt.
    expect(JSON.stringify(await simControl('/sim/history'))).toContain(jobId);
  });

  it('after a cancel mid-encode: nothing either (the PNG VideoHelperSuite wrote first included), once the interrupt has landed', async () => {
    await simControl('/sim/timing', { frameMs: 1000 });
    const { jobId } = await user.createVideoJob({ prompt: 'a slow tide', model: 'animatediff' });
    const watch = watchJob(user, jobId);
    await watch.until((job) => job.progress.stage === 'encoding', 60_000);
    await sleep(500);
    expect((await filesOfJob(jobId)).some((file) => file.endsWith('.png'))).toBe(true);
    expect((await user.cancelVideoJob(jobId)).state).toBe('cancelled');
    watch.stop();
    await expectNothingLeft(jobId);
    expect(await inComfyHistory(jobId)).toBe(false);
  });
});
