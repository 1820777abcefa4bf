import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { JobError } from '@vidgen/contract';
import { encodeForWeb, probe } from '@vidgen/media';
import { ffprobe, makeClip, packetDigests, tempDir, tools } from './support/media';

/** Whether the MP4's `moov` atom comes before `mdat` (faststart), read from the top-level boxes. */
async function moovFirst(file: string): Promise<boolean> {
  const bytes = await readFile(file);
  const order: string[] = [];
  for (let offset = 0; offset + 8 <= bytes.length; ) {
    let size = bytes.readUInt32BE(offset);
    const type = bytes.toString('latin1', offset + 4, offset + 8);
    if (size === 1) size = Number(bytes.readBigUInt64BE(offset + 8));
    if (size === 0) size = bytes.length - offset;
    order.push(type);
    if (size < 8) break;
    offset += size;
  }
  expect(order).toEqual(expect.arrayContaining(['ftyp', 'moov', 'mdat']));
  return order.indexOf('moov') < order.indexOf('mdat');
}

describe('encodeForWeb', () => {
  let dir: string;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('encode'));
  });
  afterAll(() => cleanup());

  const out = (name: string) => ({ video: join(dir, `${name}.mp4`), poster: join(dir, `${name}.jpg`) });

  it.each([
    ['gif', ['-f', 'gif']],
    ['webm', ['-c:v', 'libvpx', '-b:v', '200k', '-f', 'webm']],
  ])('re-encodes a %s to H.264 yuv420p with faststart and a JPEG poster', async (kind, codecArgs) => {
    const input = join(dir, `input.${kind}`);
    await makeClip(input, { frames: 10, width: 64, height: 48, fps: 10, codecArgs });
    const source = await ffprobe(input);
    expect(source.codec).not.toBe('h264');
    expect(source.frames).toBe(10);

    const target = out(`from-${kind}`);
    const encoded = await encodeForWeb(tools, input, target);
    expect(encoded.video).toBe(target.video);
    expect(encoded.poster).toBe(target.poster);

    const probed = await ffprobe(target.video);
    expect(probed).toMatchObject({ codec: 'h264', pixelFormat: 'yuv420p', width: 64, height: 48, frames: 10 });
    expect(probed.formatName).toContain('mp4');
    expect(encoded.info).toMatchObject({ codec: 'h264', pixelFormat: 'yuv420p', width: 64, height: 48, frameCount: 10, fps: 10 });
    expect(encoded.info.durationSeconds).toBeCloseTo(1, 1);
    expect(encoded.sizeBytes).toBe((await stat(target.video)).size);
    expect(await moovFirst(target.video)).toBe(true);

    const poster = await readFile(target.poster);
    expect(poster.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
    expect(await ffprobe(target.poster)).toMatchObject({ codec: 'mjpeg', width: 64, height: 48 });
  });

  it('makes odd dimensions even for yuv420p', async () => {
    const input = join(dir, 'odd.gif');
    await makeClip(input, { frames: 5, width: 65, height: 49, codecArgs: ['-f', 'gif'] });
    const encoded = await encodeForWeb(tools, input, out('odd'));
    expect(encoded.info).toMatchObject({ codec: 'h264', pixelFormat: 'yuv420p', width: 64, height: 48, frameCount: 5 });
  });

  it('remuxes an H.264 yuv420p MP4 without re-encoding it', async () => {
    const input = join(dir, 'h264.mp4');
    await makeClip(input, { frames: 12, width: 64, height: 48, fps: 8, codecArgs: ['-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-preset', 'ultrafast', '-crf', '40'] });
    expect(await moovFirst(input)).toBe(false);
    const before = await ffprobe(input);
    expect(before).toMatchObject({ codec: 'h264', pixelFormat: 'yuv420p', frames: 12 });

    const target = out('remuxed');
    const encoded = await encodeForWeb(tools, input, target);
    const after = await ffprobe(target.video);
    expect(after.frames).toBe(before.frames);
    expect(encoded.info).toMatchObject({ frameCount: 12, fps: 8, width: 64, height: 48, codec: 'h264' });
    // Same packets, byte for byte: the bitstream was copied, not re-encoded (crf 40 would not survive crf 19).
    expect(await packetDigests(target.video)).toEqual(await packetDigests(input));
    expect(await moovFirst(target.video)).toBe(true);
    expect((await readFile(target.poster)).subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
  });

  it('re-encodes H.264 that is not yuv420p', async () => {
    const input = join(dir, 'h264-444.mp4');
    await makeClip(input, { frames: 6, width: 64, height: 48, codecArgs: ['-c:v', 'libx264', '-pix_fmt', 'yuv444p', '-preset', 'ultrafast'] });
    const encoded = await encodeForWeb(tools, input, out('from-444'));
    expect(encoded.info).toMatchObject({ codec: 'h264', pixelFormat: 'yuv420p', frameCount: 6 });
  });

  it('probe counts frames exactly', async () => {
    const input = join(dir, 'count.mp4');
    await makeClip(input, { frames: 17, width: 32, height: 32, fps: 16, codecArgs: ['-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-preset', 'ultrafast'] });
    expect(await probe(tools.ffprobe, input)).toMatchObject({ frameCount: 17, fps: 16, width: 32, height: 32, codec: 'h264', pixelFormat: 'yuv420p' });
  });

  it('a garbage input is encode_failed', async () => {
    const input = join(dir, 'garbage.mp4');
    await writeFile(input, Buffer.from('this is not a video at all, just some bytes'.repeat(50)));
    const error = await encodeForWeb(tools, input, out('garbage')).catch((e: unknown) => e);
    expect(JobError.is(error, 'encode_failed')).toBe(true);
    expect((error as JobError).message).toMatch(/could not be encoded/);
  });

  it('a missing input and a missing ffmpeg are encode_failed', async () => {
    const missing = await encodeForWeb(tools, join(dir, 'nope.gif'), out('nope')).catch((e: unknown) => e);
    expect(JobError.is(missing, 'encode_failed')).toBe(true);
    const input = join(dir, 'tools.gif');
    await makeClip(input, { frames: 2, width: 16, height: 16, codecArgs: ['-f', 'gif'] });
    const noFfmpeg = await encodeForWeb({ ...tools, ffmpeg: join(dir, 'no-ffmpeg') }, input, out('tools')).catch((e: unknown) => e);
    expect(JobError.is(noFfmpeg, 'encode_failed')).toBe(true);
  });

  it('an aborted signal rejects with the abort, not encode_failed', async () => {
    const input = join(dir, 'abort.gif');
    await makeClip(input, { frames: 2, width: 16, height: 16, codecArgs: ['-f', 'gif'] });
    const controller = new AbortController();
    controller.abort(new Error('cancelled'));
    const error = await encodeForWeb(tools, input, out('abort'), controller.signal).catch((e: unknown) => e);
    expect(JobError.is(error)).toBe(false);
    expect((error as Error).name).toBe('AbortError');
  });
});
