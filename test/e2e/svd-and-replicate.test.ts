import { execFileSync } from 'node:child_process';
import { mkdtempSync, createReadStream, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { CloudObjectStore } from '@vidgen/media';
import { adminApp, adminDb } from '../support/admin';
import { setStepMs, simControl } from '../support/comfy-sim';
import { downloadAndProbe } from '../support/media';
import { userDayLedger } from '../support/limits';
import { clearProviderScripts, providerState, scriptProvider } from '../support/provider-sims';
import { stackState } from '../support/stack-state';
import { isTerminalJob, signedInUser, watchJob, type WebUser } from '../support/web-client';

jest.setTimeout(120_000);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const ffmpeg = (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
const dir = mkdtempSync(join(tmpdir(), 'vidgen-svd-'));

/** Puts a PNG where the client's Storage upload would have put it, with the Admin SDK (the local store server's Cloud Storage API). */
async function uploadReferenceImage(uid: string, source = 'testsrc=s=640x360', name = 'reference.png'): Promise<string> {
  const file = join(dir, `${uid}-${name}`);
  execFileSync(ffmpeg, ['-y', '-v', 'error', '-f', 'lavfi', '-i', source, '-frames:v', '1', file]);
  const path = `uploads/${uid}/${name}`;
  const { projectId } = stackState();
  await new CloudObjectStore(adminApp(), `${projectId}.appspot.com`).put(path, createReadStream(file), { contentType: 'image/png' });
  return path;
}

async function finish(user: WebUser, jobId: string) {
  const watch = watchJob(user, jobId);
  const done = await watch.until(isTerminalJob, 100_000);
  watch.stop();
  return done;
}

describe('SVD on the GPU worker', () => {
  let user: WebUser;
  beforeAll(async () => {
    user = await signedInUser();
  });
  afterAll(() => user.close());

  it('animates a reference image (image-to-video, uploaded to ComfyUI first)', async () => {
    const referenceImagePath = await uploadReferenceImage(user.uid);
    const { jobId } = await user.createVideoJob({ prompt: 'the scene slowly comes alive', model: 'svd', referenceImagePath });
    const done = await finish(user, jobId);
    expect(done.state).toBe('succeeded');
    expect(done.attempts).toEqual([expect.objectContaining({ tier: 'svd', backend: 'comfyui', outcome: 'succeeded' })]);
    const video = await downloadAndProbe(done.output.downloadUrl, join(dir, 'svd-image.mp4'));
    expect(video.probe).toMatchObject({ codec: 'h264', width: 1024, height: 576, frames: 25 });
    const histories = (await simControl('/sim/history')) as Array<Record<string, { prompt: [number, string, Record<string, { class_type: string; inputs: Record<string, unknown> }>] }>>;
    const graph = histories.flatMap((h) => Object.values(h)).map((e) => e.prompt[2]).find((g) => Object.values(g).some((n) => typeof n.inputs.filename_prefix === 'string' && n.inputs.filename_prefix.includes(jobId)))!;
    const classes = Object.values(graph).map((n) => n.class_type);
    expect(classes).toContain('LoadImage');
    expect(classes).not.toContain('CheckpointLoaderSimple');
  });

  it('makes a still first when there is no reference image (text-to-video)', async () => {
    const { jobId } = await user.createVideoJob({ prompt: 'a field of sunflowers', model: 'svd', aspectRatio: '9:16' });
    const done = await finish(user, jobId);
    expect(done.state).toBe('succeeded');
    expect(done.output).toMatchObject({ width: 576, height: 1024, frameCount: 25 });
  });

  it('fails with a clear code when the reference image is not in Storage', async () => {
    const { jobId } = await user.createVideoJob({ prompt: 'a missing picture', model: 'svd', referenceImagePath: `uploads/${user.uid}/nothing-here.png` });
    const done = await finish(user, jobId);
    expect(done.state).toBe('failed');
    expect(done.error.code).toBe('reference_image_missing');
  });
});

describe('Replicate takes over when our GPU workers are full', () => {
  const fillerMarker = `filler-${randomUUID()}`;
  let fillers: WebUser[];
  let user: WebUser;
  const fillerJobs: Array<{ owner: WebUser; jobId: string }> = [];

  /** The attempt's backend once a runner holds it. */
  async function backendOnceRunning(jobId: string): Promise<string> {
    for (let i = 0; i < 100; i += 1) {
      const attempt = (await adminDb().doc(`jobs/${jobId}`).get()).get('attempt') as { state: string; backend: string | null } | null;
      if (attempt?.state === 'running' && attempt.backend) return attempt.backend;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`filler ${jobId} never started`);
  }

  beforeAll(async () => {
    fillers = [await signedInUser(), await signedInUser()];
    user = await signedInUser();
    // Slow but alive (a step every few seconds, never a stall): the fillers hold both workers for
    // longer than this group runs.
    await setStepMs(4000);
    // One filler at a time, so that each dispatch sees the previous claim; one that lands on
    // Replicate (no room seen at that instant) finishes there and another takes its place.
    const slots = stackState().workers.length * 2;
    let onWorkers = 0;
    for (let i = 0; onWorkers < slots; i += 1) {
      if (i >= slots * 2) throw new Error('the workers never filled up');
      const owner = fillers[i % fillers.length]!;
      const { jobId } = await owner.createVideoJob({ prompt: `${fillerMarker} ${i}`, model: 'animatediff' });
      fillerJobs.push({ owner, jobId });
      if ((await backendOnceRunning(jobId)) === 'comfyui') onWorkers += 1;
    }
    const workers = adminDb().collection('workers');
    for (let i = 0; i < 100; i += 1) {
      const records = (await workers.get()).docs.map((d) => d.data());
      if (records.length >= 2 && records.every((r) => r.running >= r.capacity)) return;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error('the workers never reported themselves full');
  });

  afterAll(async () => {
    for (const { owner, jobId } of fillerJobs) await owner.cancelVideoJob(jobId);
    await setStepMs(60);
    await clearProviderScripts();
    for (const filler of fillers) await filler.close();
    await user.close();
  });

  it('runs SVD on Replicate with a reference image over 1 MB, passed through Replicate\'s files API', async () => {
    // Random colour noise does not compress: a 1024x576 PNG of it is well over 1 MB.
    const path = await uploadReferenceImage(user.uid, 'nullsrc=s=1024x576,geq=r=random(1)*255:g=random(2)*255:b=random(3)*255', 'noise.png');
    expect(statSync(join(dir, `${user.uid}-noise.png`)).size).toBeGreaterThan(1024 * 1024);
    const { jobId } = await user.createVideoJob({ prompt: 'static turning into snow', model: 'svd', referenceImagePath: path });
    const done = await finish(user, jobId);
    expect(done.state).toBe('succeeded');
    expect(done.attempts).toEqual([expect.objectContaining({ tier: 'svd', backend: 'replicate', outcome: 'succeeded' })]);
    expect(done.output).toMatchObject({ frameCount: 25 });
    const state = (await providerState('replicate')) as { predictions: Array<{ prediction: { id: string; input: Record<string, unknown> } }>; counters: { filesCreated: number } };
    const prediction = state.predictions.find((p) => p.prediction.id === done.attempts[0].providerJobId);
    expect(prediction?.prediction.input).toMatchObject({ input_image: expect.stringMatching(/\/v1\/files\/[a-z2-7]{26}$/), video_length: '25_frames_with_svd_xt', sizing_strategy: 'crop_to_16_9' });
    expect(state.counters.filesCreated).toBeGreaterThan(0);
  });

  it('runs AnimateDiff on Replicate, costed by prediction time', async () => {
    const { jobId } = await user.createVideoJob({ prompt: 'a paper crane unfolding', model: 'animatediff' });
    const done = await finish(user, jobId);
    expect(done.state).toBe('succeeded');
    expect(done.attempts).toEqual([expect.objectContaining({ tier: 'animatediff', backend: 'replicate', outcome: 'succeeded', workerId: 'functions:replicate' })]);
    expect(done.attempts[0].costUsd).toBeGreaterThan(0);
    const video = await downloadAndProbe(done.output.downloadUrl, join(dir, 'replicate.mp4'));
    expect(video.probe.codec).toBe('h264');
  });

  it('cancels the Replicate prediction when the job is cancelled, and charges what it ran for', async () => {
    const marker = randomUUID();
    await scriptProvider('replicate', { promptContains: marker, outcome: 'never_finishes' });
    const { jobId } = await user.createVideoJob({ prompt: `${marker} an endless staircase`, model: 'animatediff' });
    const watch = watchJob(user, jobId);
    const running = await watch.until((job) => job.state === 'running' && Boolean(job.attempt?.providerJobId));
    expect(running.attempt.backend).toBe('replicate');
    const predictionId = running.attempt.providerJobId as string;
    type SimState = { predictions?: Array<{ prediction: { id: string; status: string; metrics: { predict_time?: number } } }>; cancelCalls?: Array<{ predictionId: string; statusBefore: string }> };
    let state: SimState = {};
    let status = '';
    // Cancel once the prediction runs (and so bills), not while Replicate is still starting it.
    for (let i = 0; i < 80 && status !== 'processing'; i += 1) {
      state = await providerState('replicate');
      status = state.predictions?.find((p) => p.prediction.id === predictionId)?.prediction.status ?? '';
      if (status !== 'processing') await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe('processing');
    expect((await user.cancelVideoJob(jobId)).state).toBe('cancelled');
    watch.stop();
    for (let i = 0; i < 40 && status !== 'canceled'; i += 1) {
      await new Promise((r) => setTimeout(r, 250));
      state = await providerState('replicate');
      status = state.predictions?.find((p) => p.prediction.id === predictionId)?.prediction.status ?? '';
    }
    expect(status).toBe('canceled');
    // The cancel call reached Replicate while the prediction still ran (the runner's, or the watchdog's).
    expect(state.cancelCalls?.find((call) => call.predictionId === predictionId)).toMatchObject({ statusBefore: 'processing' });

    // Cancelled, its attempt waits for Replicate's charge; the watchdog reads it and adds it to the job.
    const settled = await watchJob(user, jobId).until((job) => job.costPending === false && job.attempts[0]?.costKnown === true, 30_000);
    const predictTime = state.predictions!.find((p) => p.prediction.id === predictionId)!.prediction.metrics.predict_time!;
    expect(predictTime).toBeGreaterThan(0);
    expect(settled.state).toBe('cancelled');
    expect(settled.attempts).toEqual([expect.objectContaining({ outcome: 'cancelled', backend: 'replicate', providerJobId: predictionId })]);
    expect(settled.attempts[0].costUsd).toBe(Math.round(predictTime * 0.000975 * 1e6) / 1e6);
    expect(settled.costUsd).toBeCloseTo(settled.attempts[0].costUsd, 9);
  });

  it('a cancel that lands before the prediction\'s id is saved still cancels the prediction, and the job and the ledger are charged for it', async () => {
    const marker = randomUUID();
    // Replicate answers the create 15 s after the prediction started: the cancel comes first, even on
    // a busy machine, so the run's save of the id is refused.
    await scriptProvider('replicate', { promptContains: marker, outcome: 'never_finishes', answerDelayMs: 15_000 });
    const owner = await signedInUser();
    try {
      const { jobId } = await owner.createVideoJob({ prompt: `${marker} a prediction answered late`, model: 'animatediff' });
      type SimState = { predictions?: Array<{ prediction: { id: string; status: string; input: unknown; metrics: { predict_time?: number } } }>; cancelCalls?: Array<{ predictionId: string; statusBefore: string }> };
      const predictionOf = (state: SimState) => state.predictions?.find((p) => JSON.stringify(p.prediction.input).includes(marker))?.prediction;
      let state: SimState = {};
      for (let i = 0; i < 100 && predictionOf(state)?.status !== 'processing'; i += 1) {
        if (i > 0) await new Promise((r) => setTimeout(r, 100));
        state = await providerState('replicate');
      }
      const predictionId = predictionOf(state)?.id;
      expect(predictionOf(state)?.status).toBe('processing');
      expect((await adminDb().doc(`jobs/${jobId}`).get()).get('attempt.providerJobId')).toBeNull();
      expect((await owner.cancelVideoJob(jobId)).state).toBe('cancelled');

      for (let i = 0; i < 100 && predictionOf(state)?.status !== 'canceled'; i += 1) {
        await new Promise((r) => setTimeout(r, 250));
        state = await providerState('replicate');
      }
      expect(predictionOf(state)?.status).toBe('canceled');
      expect(state.cancelCalls?.find((call) => call.predictionId === predictionId)).toMatchObject({ statusBefore: 'processing' });

      // The id was recorded beside the cancelled attempt; the watchdog reads the charge and adds it.
      const watch = watchJob(owner, jobId);
      const settled = await watch.until((job) => job.costPending === false && job.attempts.some((a: { providerJobId: string | null; costKnown: boolean }) => a.providerJobId === predictionId && a.costKnown), 30_000);
      watch.stop();
      const predictTime = predictionOf(state)!.metrics.predict_time!;
      expect(predictTime).toBeGreaterThan(0);
      const charge = Math.round(predictTime * 0.000975 * 1e6) / 1e6;
      expect(settled.state).toBe('cancelled');
      expect(settled.attempts).toEqual([
        expect.objectContaining({ index: 0, outcome: 'cancelled', providerJobId: null, costUsd: 0 }),
        expect.objectContaining({ index: 0, outcome: 'cancelled', backend: 'replicate', providerJobId: predictionId, costUsd: charge }),
      ]);
      expect(settled.costUsd).toBeCloseTo(charge, 9);
      expect(await userDayLedger(owner.uid)).toEqual({ reservedMicroUsd: 0, spentMicroUsd: Math.round(charge * 1e6) });
    } finally {
      await owner.close();
    }
  });
});
