import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setStepMs } from '../support/comfy-sim';
import { downloadAndProbe } from '../support/media';
import { signedInUser, watchNewJob, type WebUser } from '../support/web-client';

jest.setTimeout(120_000);

describe('a web client asks for an AnimateDiff video and watches it being made', () => {
  let user: WebUser;
  beforeAll(async () => {
    user = await signedInUser();
    // Slow enough that the once-a-second progress writes show the sampler moving.
    await setStepMs(150);
  });
  afterAll(() => user.close());

  it('goes queued → running (progress rising) → succeeded and yields a playable MP4 of the requested size', async () => {
    const mine = watchNewJob(user);
    await mine.ready;
    const { jobId } = await user.createVideoJob({ prompt: 'a paper boat on a pond at dawn', model: 'animatediff', seed: 42 });
    expect(jobId).toMatch(/^[A-Za-z0-9]{20}$/);
    const watch = mine.track(jobId);
    const done = await watch.until((job) => job.state === 'succeeded' || job.state === 'failed', 90_000);
    watch.stop();
    expect(done.error).toBeNull();
    expect(done.state).toBe('succeeded');

    const states = watch.snapshots.map((s) => s.state as string);
    // The job is written queued; a worker can claim it within milliseconds, and the emulator may
    // then deliver both writes as one snapshot. Either way the order never goes backwards.
    expect(['queued', 'running']).toContain(states[0]);
    expect(states).toContain('running');
    expect(states.lastIndexOf('queued')).toBeLessThan(states.indexOf('running'));
    expect(done.attempts[0].startedAt.toMillis()).toBeGreaterThanOrEqual(done.createdAt.toMillis());
    const sampling = watch.snapshots.filter((s) => s.state === 'running' && s.progress.stage === 'sampling');
    expect(sampling.length).toBeGreaterThanOrEqual(2);
    const percents = watch.snapshots.filter((s) => s.state === 'running').map((s) => s.progress.percent as number);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(percents.at(-1)!).toBeGreaterThan(percents[0]!);
    expect(sampling.some((s) => s.progress.step > 0 && s.progress.totalSteps === 20)).toBe(true);

    expect(done.plan).toEqual(['animatediff']);
    expect(done.attempts).toHaveLength(1);
    expect(done.attempts[0]).toMatchObject({ tier: 'animatediff', backend: 'comfyui', outcome: 'succeeded', error: null });
    expect(done.attempts[0].workerId).toMatch(/^local-worker-/);
    expect(done.progress).toMatchObject({ percent: 100, stage: 'done' });
    expect(done.createdAt.toMillis()).toBeLessThanOrEqual(done.updatedAt.toMillis());
    expect(done.output).toMatchObject({ mimeType: 'video/mp4', width: 512, height: 512, frameCount: 24, fps: 8, durationSeconds: 3 });
    expect(done.output.storagePath).toBe(`videos/${user.uid}/${jobId}/attempt-0.mp4`);

    const dir = mkdtempSync(join(tmpdir(), 'vidgen-e2e-'));
    const video = await downloadAndProbe(done.output.downloadUrl as string, join(dir, 'video.mp4'));
    expect(video.contentType).toBe('video/mp4');
    expect(video.bytes).toBe(done.output.sizeBytes);
    expect(video.probe).toMatchObject({ codec: 'h264', width: 512, height: 512, frames: 24, fps: '8/1' });
    expect(video.probe.formatName).toContain('mp4');

    const poster = await fetch(done.output.posterUrl as string);
    expect(poster.headers.get('content-type')).toBe('image/jpeg');
    expect((await poster.arrayBuffer()).byteLength).toBeGreaterThan(1000);

    const tampered = new URL(done.output.downloadUrl as string);
    tampered.searchParams.set('token', 'not-the-token');
    expect((await fetch(tampered)).status).toBe(403);
  });
});
