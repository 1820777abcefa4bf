import { z } from 'zod';
import { DEFAULT_NEGATIVE_PROMPT, DEFAULT_SAMPLER_STEPS, type AspectRatio, type CreateVideoJobRequest, type Tier } from '@vidgen/contract';

/*
 * The published input schemas of the Replicate models the README documents, from their Cog
 * `predict.py` (the source Replicate builds each version's OpenAPI schema from):
 * - lucataco/animate-diff: github.com/lucataco/cog-animatediff predict.py at 0edd2a4 (version
 *   beecf59c…). Always 512x512, 16 frames (the pipeline's fixed width, height and video_length),
 *   written as a GIF at AnimateDiff's 8 fps and converted to MP4.
 * - stability-ai/stable-video-diffusion: github.com/replicate/cog-svd predict.py and
 *   sizing_strategy.py at a9212c4 (version 3f0457e4…). 14 (SVD) or 25 (SVD-XT) frames;
 *   `crop_to_16_9` makes exactly 1024x576; the MP4 is written at frames_per_second + 1 fps.
 * Cog turns `Input(ge, le, choices, default)` into minimum, maximum, enum and default; Replicate
 * refuses anything else with 422. The schemas here are strict so a typo fails in our tests first.
 */

/** Seeds lucataco/animate-diff accepts: its input says "maximum: 2147483647". */
export const ANIMATEDIFF_MAX_SEED = 2_147_483_647;
/** cog-svd declares no bound; torch.manual_seed takes 64-bit seeds, ours are 32-bit. */
export const SVD_MAX_SEED = 2 ** 32 - 1;

export const AnimateDiffInputSchema = z.strictObject({
  motion_module: z.enum(['mm_sd_v14', 'mm_sd_v15', 'mm_sd_v15_v2']).default('mm_sd_v14'),
  path: z
    .enum(['toonyou_beta3.safetensors', 'lyriel_v16.safetensors', 'rcnzCartoon3d_v10.safetensors', 'majicmixRealistic_v5Preview.safetensors', 'realisticVisionV40_v20Novae.safetensors'])
    .default('toonyou_beta3.safetensors')
    .describe('base model (DreamBooth checkpoint)'),
  prompt: z.string(),
  n_prompt: z.string().default(''),
  steps: z.number().int().min(1).max(100).default(25),
  guidance_scale: z.number().min(1).max(10).default(7.5),
  seed: z.number().int().min(0).max(ANIMATEDIFF_MAX_SEED).optional(),
});
export type AnimateDiffInput = z.infer<typeof AnimateDiffInputSchema>;

export const SvdInputSchema = z.strictObject({
  input_image: z.string().regex(/^(https?:\/\/|data:image\/)/, { error: 'must be an http(s) URL or a data URI' }),
  video_length: z.enum(['14_frames_with_svd', '25_frames_with_svd_xt']).default('14_frames_with_svd'),
  sizing_strategy: z.enum(['maintain_aspect_ratio', 'crop_to_16_9', 'use_image_dimensions']).default('maintain_aspect_ratio'),
  frames_per_second: z.number().int().min(5).max(30).default(6),
  motion_bucket_id: z.number().int().min(1).max(255).default(127),
  cond_aug: z.number().default(0.02),
  decoding_t: z.number().int().default(14),
  seed: z.number().int().min(0).max(SVD_MAX_SEED).optional(),
});
export type SvdInput = z.infer<typeof SvdInputSchema>;

/** One clip a model can make: its size, frame count and playback rate. */
export interface ReplicateClip {
  aspectRatio: AspectRatio;
  width: number;
  height: number;
  frameCount: number;
  fps: number;
  /** The whole seconds a request names to get this clip. */
  durationSeconds: number;
}

/** Every clip each model makes; the first is what a request that names no duration gets. */
export const REPLICATE_CLIPS: Readonly<Record<Exclude<Tier, 'veo'>, readonly ReplicateClip[]>> = {
  animatediff: [{ aspectRatio: '1:1', width: 512, height: 512, frameCount: 16, fps: 8, durationSeconds: 2 }],
  svd: [
    { aspectRatio: '16:9', width: 1024, height: 576, frameCount: 25, fps: 8, durationSeconds: 3 },
    { aspectRatio: '16:9', width: 1024, height: 576, frameCount: 14, fps: 7, durationSeconds: 2 },
  ],
};

type Wanted = Pick<CreateVideoJobRequest, 'aspectRatio' | 'durationSeconds' | 'referenceImagePath'>;

function describe(clips: readonly ReplicateClip[]): string {
  return clips.map((clip) => `${clip.width}x${clip.height} (${clip.aspectRatio}), ${clip.frameCount} frames at ${clip.fps} fps (${clip.durationSeconds} s)`).join(' or ');
}

/**
 * The clip the tier's Replicate model makes for a request, or why it cannot: a request that names
 * an aspect ratio or duration the model does not make is not offered Replicate, rather than getting
 * something else than it asked for.
 */
export function replicateClip(tier: Tier, request: Wanted): { ok: true; clip: ReplicateClip } | { ok: false; reason: string } {
  if (tier === 'veo') return { ok: false, reason: 'Veo does not run on Replicate.' };
  if (tier === 'svd' && !request.referenceImagePath) return { ok: false, reason: 'Stable Video Diffusion on Replicate needs a reference image.' };
  const clips = REPLICATE_CLIPS[tier];
  const clip = clips.find((candidate) =>
    (request.aspectRatio === undefined || candidate.aspectRatio === request.aspectRatio)
    && (request.durationSeconds === undefined || candidate.durationSeconds === request.durationSeconds));
  if (!clip) return { ok: false, reason: `${tier} on Replicate makes only ${describe(clips)}.` };
  return { ok: true, clip };
}

/** What the input is built from: the request, the clip chosen, sampling settings and the image. */
export interface InputSource {
  request: Pick<CreateVideoJobRequest, 'prompt' | 'negativePrompt' | 'seed'>;
  clip: ReplicateClip;
  steps?: number;
  cfg?: number;
  /** The reference image as a URL (Replicate's files API) or a data URI; SVD only. */
  image?: string;
}

/** AnimateDiff's input, checked against its schema (throws on a value it would refuse). */
export function animateDiffInput(source: InputSource): AnimateDiffInput {
  const seed = source.request.seed;
  return AnimateDiffInputSchema.parse({
    motion_module: 'mm_sd_v15_v2',
    path: 'toonyou_beta3.safetensors',
    prompt: source.request.prompt,
    n_prompt: source.request.negativePrompt ?? DEFAULT_NEGATIVE_PROMPT,
    steps: source.steps ?? DEFAULT_SAMPLER_STEPS,
    guidance_scale: source.cfg ?? 7.5,
    ...(seed !== undefined ? { seed: seed % (ANIMATEDIFF_MAX_SEED + 1) } : {}),
  });
}

/** SVD's input, checked against its schema: the clip decides frames and rate (fps = frames_per_second + 1). */
export function svdInput(source: InputSource): SvdInput {
  if (!source.image) throw new Error('SVD needs the reference image');
  const seed = source.request.seed;
  return SvdInputSchema.parse({
    input_image: source.image,
    video_length: source.clip.frameCount === 25 ? '25_frames_with_svd_xt' : '14_frames_with_svd',
    sizing_strategy: 'crop_to_16_9',
    frames_per_second: source.clip.fps - 1,
    motion_bucket_id: 127,
    ...(seed !== undefined ? { seed: seed % (SVD_MAX_SEED + 1) } : {}),
  });
}
