import { randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ROOT } from '../../scripts/stack/stack';
import { setStepMs, simControl } from '../support/comfy-sim';
import { stackState } from '../support/stack-state';

jest.setTimeout(150_000);

/** Debian's chromium (scripts/setup.sh installs it); playwright-core drives it and downloads nothing. */
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'];
const ARTIFACTS = join(ROOT, 'test-artifacts');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const ffmpeg = (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What the test reads of the page's elements (the test project compiles without the DOM library). */
interface ProgressBar { value: number }
interface VideoElement {
  readyState: number;
  duration: number;
  videoWidth: number;
  videoHeight: number;
  currentTime: number;
  paused: boolean;
  error: { message: string } | null;
  play(): Promise<void>;
}

describe('the demo page on the Hosting emulator', () => {
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  const offMachine: string[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    // Slow sampler steps, so that the once-a-second progress writes move the bar several times.
    await setStepMs(400);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('request', (request) => {
      if (new URL(request.url()).hostname !== '127.0.0.1') offMachine.push(request.url());
    });
    await page.goto(`http://127.0.0.1:${stackState().ports.hosting}/`);
    await page.locator('#auth-status[data-state="signed-in"]').waitFor({ timeout: 30_000 });
  });

  afterEach(async () => {
    await simControl('/sim/faults', undefined, 'DELETE');
  });

  afterAll(async () => {
    await browser?.close();
    await setStepMs(stackState().timing.simStepMs);
  });

  it('signs in, makes an AnimateDiff video with a live progress bar and attempts, and plays it', async () => {
    await expect(page.locator('#auth-status').textContent()).resolves.toMatch(/^Signed in anonymously · \w+$/);
    await expect(page.locator('#sim-banner').textContent()).resolves.toContain('Simulated GPU: ComfyUI simulator, synthetic video — not a real model');

    await page.getByLabel('Prompt').fill('a paper boat on a pond at dawn');
    await page.getByLabel('Model').selectOption('animatediff');
    await page.getByRole('button', { name: 'Generate' }).click();
    await page.getByRole('button', { name: 'Cancel' }).waitFor({ state: 'visible', timeout: 15_000 });

    // Sample the bar while the job runs; take one screenshot once the sampler is well under way.
    const samples: number[] = [];
    let screenshotTaken = false;
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      const state = await page.locator('#job-state').getAttribute('data-state');
      samples.push(await page.locator('#progress').evaluate((bar) => (bar as unknown as ProgressBar).value));
      if (!screenshotTaken && state === 'running' && samples.at(-1)! >= 30 && samples.at(-1)! <= 80) {
        await expect(page.locator('#progress-stage').textContent()).resolves.toBe('sampling');
        await expect(page.locator('#progress-step').textContent()).resolves.toMatch(/^\d+\/20$/);
        await expect(page.locator('#progress-tier').textContent()).resolves.toBe('animatediff · comfyui');
        await expect(page.locator('#progress-eta').textContent()).resolves.toMatch(/^\d+ s$/);
        await expect(page.locator('#attempts').textContent()).resolves.toMatch(/animatediff.*comfyui.*running/);
        await page.screenshot({ path: join(ARTIFACTS, 'demo-generating.png') });
        screenshotTaken = true;
      }
      if (state === 'succeeded' || state === 'failed' || state === 'cancelled') break;
      await sleep(300);
    }
    expect(screenshotTaken).toBe(true);
    await expect(page.locator('#job-error').isHidden()).resolves.toBe(true);
    await expect(page.locator('#job-state').getAttribute('data-state')).resolves.toBe('succeeded');
    expect(samples).toEqual([...samples].sort((a, b) => a - b));
    const rising = new Set(samples.filter((value) => value > 0 && value < 100));
    expect(rising.size).toBeGreaterThanOrEqual(3);
    expect(samples.at(-1)).toBe(100);
    await expect(page.locator('#attempts').textContent()).resolves.toMatch(/animatediff.*comfyui.*succeeded/);
    await expect(page.getByRole('button', { name: 'Cancel' }).isHidden()).resolves.toBe(true);

    const video = page.locator('#result-video');
    await video.waitFor({ state: 'visible' });
    const handle = await video.elementHandle();
    await page.waitForFunction((element) => (element as unknown as VideoElement).readyState >= 2, handle, { timeout: 20_000 });
    const loaded = await video.evaluate((element) => {
      const v = element as unknown as VideoElement;
      return { duration: v.duration, width: v.videoWidth, height: v.videoHeight, error: v.error?.message ?? null };
    });
    expect(loaded).toEqual({ duration: expect.closeTo(3, 1), width: 512, height: 512, error: null });
    await video.evaluate((element) => (element as unknown as VideoElement).play());
    await page.waitForFunction((element) => (element as unknown as VideoElement).currentTime > 0.5, handle, { timeout: 10_000 });
    await expect(video.evaluate((element) => (element as unknown as VideoElement).paused)).resolves.toBe(false);
    await page.screenshot({ path: join(ARTIFACTS, 'demo-finished.png') });

    expect(pageErrors).toEqual([]);
    expect(offMachine).toEqual([]);
  });

  /** Fills in the form for an AnimateDiff video and presses Generate. */
  async function generate(prompt: string): Promise<void> {
    await page.getByLabel('Prompt').fill(prompt);
    await page.getByLabel('Model').selectOption('animatediff');
    await page.getByRole('button', { name: 'Generate' }).click();
    await page.locator('#job-state[data-state="queued"], #job-state[data-state="running"]').waitFor({ timeout: 15_000 });
  }

  it('shows the error code and message, and each attempt, when the job fails', async () => {
    const marker = `oom-${randomUUID()}`;
    await simControl('/sim/faults', { kind: 'oom', promptContains: marker, atStep: 3 });
    await generate(`a cathedral ${marker}`);
    await page.locator('#job-state[data-state="failed"]').waitFor({ timeout: 60_000 });
    await expect(page.locator('#job-error').textContent()).resolves.toMatch(/^gpu_out_of_memory: .*out of memory/i);
    await expect(page.locator('#attempts').textContent()).resolves.toMatch(/animatediff.*comfyui.*failed.*gpu_out_of_memory/);
    await expect(page.locator('#result').isHidden()).resolves.toBe(true);
    await expect(page.getByRole('button', { name: 'Generate' }).isEnabled()).resolves.toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'demo-failed.png') });
    expect(pageErrors).toEqual([]);
  });

  it('cancels a running job with the Cancel button', async () => {
    await generate('a lighthouse in a storm, to be cancelled');
    await page.locator('#job-state[data-state="running"]').waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.locator('#job-state[data-state="cancelled"]').waitFor({ timeout: 30_000 });
    await expect(page.locator('#job-error').textContent()).resolves.toMatch(/^cancelled: /);
    await page.getByRole('button', { name: 'Cancel' }).waitFor({ state: 'hidden' });
    await expect(page.getByRole('button', { name: 'Generate' }).isEnabled()).resolves.toBe(true);
    expect(pageErrors).toEqual([]);
  });

  /** A PNG for the reference image field. */
  function referenceImage(): string {
    const image = join(mkdtempSync(join(tmpdir(), 'vidgen-demo-')), 'reference.png');
    execFileSync(ffmpeg, ['-y', '-v', 'error', '-f', 'lavfi', '-i', 'testsrc=s=640x360', '-frames:v', '1', image]);
    return image;
  }

  it('says why when the reference image cannot be uploaded, and starts no job', async () => {
    const { ports } = stackState();
    const isUpload = (url: URL) => url.port === String(ports.store) && url.searchParams.has('name');
    await page.route(isUpload, (route) => route.abort('connectionrefused'));
    try {
      const lastJob = await page.locator('#job-id').textContent();
      await page.getByLabel('Prompt').fill('an upload that never arrives');
      await page.getByLabel(/^Reference image/).setInputFiles(referenceImage());
      await page.getByRole('button', { name: 'Generate' }).click();
      const error = page.locator('#form-error');
      await error.waitFor({ state: 'visible', timeout: 30_000 });
      await expect(error.textContent()).resolves.toMatch(/^Could not upload the reference image: .+ \(storage\/[a-z-]+\)\. If the local object store does not take uploads yet, clear the image field/);
      await expect(page.locator('#job-id').textContent()).resolves.toBe(lastJob);
      await expect(page.getByRole('button', { name: 'Generate' }).isEnabled()).resolves.toBe(true);
      await page.screenshot({ path: join(ARTIFACTS, 'demo-upload-failed.png') });
    } finally {
      await page.unroute(isUpload);
      await page.getByLabel(/^Reference image/).setInputFiles([]);
    }
  });

  it('uploads a reference image to Storage and animates it with SVD', async () => {
    await setStepMs(stackState().timing.simStepMs);
    const image = referenceImage();
    await page.getByLabel('Prompt').fill('the scene slowly comes alive');
    await page.getByLabel('Model').selectOption('svd');
    await page.getByLabel(/^Reference image/).setInputFiles(image);
    await page.getByRole('button', { name: 'Generate' }).click();
    await page.locator('#job-state[data-state="succeeded"], #job-state[data-state="failed"], #form-error:not([hidden])').first().waitFor({ timeout: 90_000 });
    await expect(page.locator('#form-error').isHidden()).resolves.toBe(true);
    await expect(page.locator('#job-state').getAttribute('data-state')).resolves.toBe('succeeded');
    await expect(page.locator('#attempts').textContent()).resolves.toMatch(/svd.*comfyui.*succeeded/);
    await expect(page.locator('#result-caption').textContent()).resolves.toMatch(/^1024×576, 25 frames/);
    expect(pageErrors).toEqual([]);
  });
});
