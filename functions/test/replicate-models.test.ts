import Replicate from 'replicate';
import { createReplicateSimulator, type ReplicateSimulator } from '../../provider-sims/src/simulators';
import { DATA_URI_MAX_BYTES, imageForReplicate } from '../src/providers/replicate-input';
import { ANIMATEDIFF_MAX_SEED, AnimateDiffInputSchema, animateDiffInput, replicateClip, SvdInputSchema, svdInput } from '../src/providers/replicate-models';

const REQUEST = { prompt: 'a paper boat on a pond' };
const IMAGE_PATH = 'uploads/u1/boat.png';

describe('what each Replicate model makes', () => {
  it('offers AnimateDiff only at its fixed 512x512, 16 frames at 8 fps', () => {
    expect(replicateClip('animatediff', {})).toEqual({ ok: true, clip: expect.objectContaining({ width: 512, height: 512, frameCount: 16, fps: 8, durationSeconds: 2 }) });
    expect(replicateClip('animatediff', { aspectRatio: '1:1', durationSeconds: 2 }).ok).toBe(true);
    expect(replicateClip('animatediff', { aspectRatio: '16:9' })).toEqual({ ok: false, reason: expect.stringMatching(/animatediff on Replicate makes only 512x512 \(1:1\), 16 frames at 8 fps/) });
    expect(replicateClip('animatediff', { durationSeconds: 3 }).ok).toBe(false);
  });

  it('offers SVD at 1024x576 as 25 frames (3 s) or 14 frames (2 s), with a reference image only', () => {
    expect(replicateClip('svd', { referenceImagePath: IMAGE_PATH })).toEqual({ ok: true, clip: expect.objectContaining({ width: 1024, height: 576, frameCount: 25, fps: 8 }) });
    expect(replicateClip('svd', { referenceImagePath: IMAGE_PATH, durationSeconds: 2 })).toEqual({ ok: true, clip: expect.objectContaining({ frameCount: 14, fps: 7 }) });
    expect(replicateClip('svd', { referenceImagePath: IMAGE_PATH, aspectRatio: '9:16' }).ok).toBe(false);
    expect(replicateClip('svd', { referenceImagePath: IMAGE_PATH, durationSeconds: 1 }).ok).toBe(false);
    expect(replicateClip('svd', {})).toEqual({ ok: false, reason: expect.stringMatching(/needs a reference image/) });
    expect(replicateClip('veo', {}).ok).toBe(false);
  });
});

describe('inputs built through the published schemas', () => {
  it('AnimateDiff: every field within its schema, the seed brought into 0-2147483647', () => {
    const clip = replicateClip('animatediff', {});
    if (!clip.ok) throw new Error(clip.reason);
    const input = animateDiffInput({ request: { ...REQUEST, seed: 2 ** 32 - 1 }, clip: clip.clip, steps: 20, cfg: 7.5 });
    expect(input).toEqual({ motion_module: 'mm_sd_v15_v2', path: 'toonyou_beta3.safetensors', prompt: REQUEST.prompt, n_prompt: expect.any(String), steps: 20, guidance_scale: 7.5, seed: (2 ** 32 - 1) % (ANIMATEDIFF_MAX_SEED + 1) });
    expect(input.seed).toBeLessThanOrEqual(ANIMATEDIFF_MAX_SEED);
    expect(animateDiffInput({ request: { ...REQUEST, seed: 7 }, clip: clip.clip }).seed).toBe(7);
    expect(() => animateDiffInput({ request: REQUEST, clip: clip.clip, cfg: 12 })).toThrow(/guidance_scale/);
  });

  it('SVD: frames and rate from the clip (fps = frames_per_second + 1), cropped to 16:9', () => {
    const long = replicateClip('svd', { referenceImagePath: IMAGE_PATH });
    const short = replicateClip('svd', { referenceImagePath: IMAGE_PATH, durationSeconds: 2 });
    if (!long.ok || !short.ok) throw new Error('expected clips');
    expect(svdInput({ request: { ...REQUEST, seed: 5 }, clip: long.clip, image: 'https://files.example/x.png' })).toEqual({
      input_image: 'https://files.example/x.png', video_length: '25_frames_with_svd_xt', sizing_strategy: 'crop_to_16_9', frames_per_second: 7, motion_bucket_id: 127, cond_aug: 0.02, decoding_t: 14, seed: 5,
    });
    expect(svdInput({ request: REQUEST, clip: short.clip, image: 'data:image/png;base64,AAAA' })).toMatchObject({ video_length: '14_frames_with_svd', frames_per_second: 6 });
    expect(() => svdInput({ request: REQUEST, clip: long.clip, image: '/tmp/x.png' })).toThrow(/input_image/);
  });

  it('the schemas refuse what Replicate would: out of range, not in the enum, unknown fields', () => {
    expect(SvdInputSchema.safeParse({ input_image: 'https://x/y.png', frames_per_second: 31 }).success).toBe(false);
    expect(SvdInputSchema.safeParse({ input_image: 'https://x/y.png', motion_bucket_id: 0 }).success).toBe(false);
    expect(SvdInputSchema.safeParse({ input_image: 'https://x/y.png', video_length: '16_frames' }).success).toBe(false);
    expect(AnimateDiffInputSchema.safeParse({ prompt: 'x', steps: 101 }).success).toBe(false);
    expect(AnimateDiffInputSchema.safeParse({ prompt: 'x', seed: ANIMATEDIFF_MAX_SEED + 1 }).success).toBe(false);
    expect(AnimateDiffInputSchema.safeParse({ prompt: 'x', width: 768 }).success).toBe(false);
  });
});

describe('reference images through the real replicate client', () => {
  let sim: ReplicateSimulator;
  let client: Replicate;
  const call = <T>(fn: () => Promise<T>) => fn();

  beforeAll(async () => {
    sim = await createReplicateSimulator({ token: 'test-token', logLevel: 'silent' });
    client = new Replicate({ auth: 'test-token', baseUrl: sim.apiUrl });
  });
  afterAll(() => sim.close());

  it('sends an image up to 1 MB inline as a data URI, without the files API', async () => {
    const bytes = Buffer.alloc(DATA_URI_MAX_BYTES, 1);
    expect(await imageForReplicate(client, { bytes, mimeType: 'image/png' }, call)).toMatch(/^data:image\/png;base64,/);
    expect(sim.state().counters.filesCreated).toBe(0);
  });

  it('uploads a larger image with files.create and passes its urls.get', async () => {
    const bytes = Buffer.alloc(DATA_URI_MAX_BYTES + 1, 2);
    const url = await imageForReplicate(client, { bytes, mimeType: 'image/jpeg' }, call);
    expect(url).toMatch(new RegExp(`^${sim.apiUrl}/files/[a-z2-7]{26}$`));
    expect(sim.state().counters.filesCreated).toBe(1);
    const file = await client.files.get(url.split('/').at(-1)!);
    expect(file).toMatchObject({ size: DATA_URI_MAX_BYTES + 1, content_type: 'image/jpeg', urls: { get: url } });
  });
});
