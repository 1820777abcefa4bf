import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FfmpegError, resolveFfmpegPath, runFfmpeg } from '@vidgen/sim-kit';

describe('resolveFfmpegPath', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sim-kit-'));
    writeFileSync(join(dir, 'ffmpeg'), '#!/bin/sh\nexit 0\n');
    chmodSync(join(dir, 'ffmpeg'), 0o755);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('takes the explicit path, then FFMPEG_PATH, then an executable ffmpeg on PATH, then the npm-shipped binary', () => {
    expect(resolveFfmpegPath('/opt/explicit/ffmpeg', { FFMPEG_PATH: '/opt/env/ffmpeg', PATH: dir })).toBe('/opt/explicit/ffmpeg');
    expect(resolveFfmpegPath(undefined, { FFMPEG_PATH: '/opt/env/ffmpeg', PATH: dir })).toBe('/opt/env/ffmpeg');
    expect(resolveFfmpegPath(undefined, { PATH: `/nonexistent:${dir}` })).toBe(join(dir, 'ffmpeg'));
    expect(resolveFfmpegPath(undefined, { PATH: '/nonexistent' })).toMatch(/@ffmpeg-installer.*ffmpeg$/);
  });

  it('passes over a file named ffmpeg that is not executable', () => {
    const plain = mkdtempSync(join(tmpdir(), 'sim-kit-plain-'));
    writeFileSync(join(plain, 'ffmpeg'), 'not a program');
    try {
      expect(resolveFfmpegPath(undefined, { PATH: plain })).not.toBe(join(plain, 'ffmpeg'));
    } finally {
      rmSync(plain, { recursive: true, force: true });
    }
  });
});

describe('runFfmpeg', () => {
  const ffmpeg = resolveFfmpegPath(undefined, { PATH: '/nonexistent' });

  it('resolves when ffmpeg makes the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-kit-run-'));
    try {
      await expect(runFfmpeg(ffmpeg, ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'color=s=16x16', '-frames:v', '1', join(dir, 'frame.png')], new AbortController().signal)).resolves.toBeUndefined();
      expect(statSync(join(dir, 'frame.png')).size).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says which binary is missing', async () => {
    const error = await runFfmpeg('/nonexistent/ffmpeg', ['-version'], new AbortController().signal).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FfmpegError);
    expect(error).toMatchObject({ reason: 'missing', message: 'ffmpeg not found at /nonexistent/ffmpeg' });
  });

  it('keeps the tail of stderr when ffmpeg fails', async () => {
    const error = await runFfmpeg(ffmpeg, ['-v', 'error', '-i', '/nonexistent/input.mp4', '-f', 'null', '-'], new AbortController().signal).catch((e: unknown) => e);
    expect(error).toMatchObject({ reason: 'failed' });
    expect((error as FfmpegError).stderr).toContain('/nonexistent/input.mp4');
  });

  it('reports a run stopped by its signal as stopped, not failed', async () => {
    const controller = new AbortController();
    const running = runFfmpeg(ffmpeg, ['-v', 'error', '-re', '-f', 'lavfi', '-i', 'color=s=16x16:d=30', '-f', 'null', '-'], controller.signal).catch((e: unknown) => e);
    setTimeout(() => controller.abort(), 100);
    expect(await running).toMatchObject({ reason: 'stopped' });
  });
});
