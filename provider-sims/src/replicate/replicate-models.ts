import { z } from 'zod';

/** The kinds of model the simulator can stand in for. */
export const ReplicateModelKindSchema = z.enum(['svd', 'animatediff']).describe('stable video diffusion (image to video) or AnimateDiff (text to video)');
export type ReplicateModelKind = z.infer<typeof ReplicateModelKindSchema>;

/** The simulator's fixed, fake version id that stands for stability-ai/stable-video-diffusion. */
export const SVD_SIM_VERSION = '5d5d5d5d00000000000000000000000000000000000000000000000000005fd1';
/** The simulator's fixed, fake version id that stands for lucataco/animate-diff. */
export const ANIMATEDIFF_SIM_VERSION = '5d5d5d5d0000000000000000000000000000000000000000000000000000ad1f';

/** The version → kind map a simulator starts with (the `versions` option adds to it). */
export const DEFAULT_VERSIONS: Readonly<Record<string, ReplicateModelKind>> = {
  [SVD_SIM_VERSION]: 'svd',
  [ANIMATEDIFF_SIM_VERSION]: 'animatediff',
};

/*
 * The inputs below are the models' published schemas, from the Cog predict.py Replicate builds each
 * version's schema from: stability-ai/stable-video-diffusion = github.com/replicate/cog-svd at
 * a9212c4 (predict.py, sizing_strategy.py); lucataco/animate-diff = github.com/lucataco/cog-animatediff
 * at 0edd2a4 (predict.py). Cog's Input(ge, le, choices, default) become minimum, maximum, enum and
 * default, and Replicate answers 422 "Input validation failed" for a value outside them. Unknown
 * fields are let through, as Replicate does.
 */

/** A file input: an http(s) URL (Replicate's files API gives one) or a data URI. */
const FileInput = z.string().regex(/^(https?:\/\/|data:)/, { error: 'Does not match format \'uri\'' });

/** SVD's inputs (stability-ai/stable-video-diffusion on Replicate). */
export const SvdInputSchema = z.looseObject({
  input_image: FileInput.describe('Input image'),
  video_length: z.enum(['14_frames_with_svd', '25_frames_with_svd_xt']).default('14_frames_with_svd'),
  sizing_strategy: z.enum(['maintain_aspect_ratio', 'crop_to_16_9', 'use_image_dimensions']).default('maintain_aspect_ratio'),
  frames_per_second: z.number().int().min(5).max(30).default(6),
  motion_bucket_id: z.number().int().min(1).max(255).default(127),
  cond_aug: z.number().default(0.02),
  decoding_t: z.number().int().default(14),
  seed: z.number().int().optional(),
});

/** AnimateDiff's inputs (lucataco/animate-diff on Replicate). */
export const AnimateDiffInputSchema = z.looseObject({
  motion_module: z.enum(['mm_sd_v14', 'mm_sd_v15', 'mm_sd_v15_v2']).default('mm_sd_v14'),
  path: z
    .enum(['toonyou_beta3.safetensors', 'lyriel_v16.safetensors', 'rcnzCartoon3d_v10.safetensors', 'majicmixRealistic_v5Preview.safetensors', 'realisticVisionV40_v20Novae.safetensors'])
    .default('toonyou_beta3.safetensors')
    .describe('base model'),
  prompt: z.string().default('masterpiece, best quality, 1girl, solo, cherry blossoms, hanami, pink flower, white flower, spring season, wisteria, petals, flower, plum blossoms, outdoors, falling petals, white hair, black eyes'),
  n_prompt: z.string().default(''),
  steps: z.number().int().min(1).max(100).default(25),
  guidance_scale: z.number().min(1).max(10).default(7.5),
  seed: z.number().int().optional(),
});

/** What a prediction of a kind makes. */
export interface KindPlan {
  /** Model name for the prediction's `model` field. */
  model: string;
  width: number;
  height: number;
  frames: number;
  fps: number;
  /** Sampling steps, one progress-bar tick each. */
  steps: number;
  seed: number | undefined;
}

/** The model name each kind stands for. */
export const MODEL_NAMES: Readonly<Record<ReplicateModelKind, string>> = {
  svd: 'stability-ai/stable-video-diffusion',
  animatediff: 'lucataco/animate-diff',
};

/**
 * The input checked against the kind's schema: the plan and the parsed inputs, or the zod error.
 * What each makes, from the same sources: SVD 14 or 25 frames, 1024x576 (crop_to_16_9 always; the
 * simulator does not read the image, so the other strategies are taken as a landscape image at the
 * 1024x576 cap), written at frames_per_second + 1 fps (cog-svd's ffmpeg `-r`); AnimateDiff always
 * 512x512, 16 frames, at AnimateDiff's GIF rate of 8 fps.
 */
export function planFor(kind: ReplicateModelKind, input: unknown): { ok: true; plan: KindPlan; inputs: Record<string, unknown> } | { ok: false; error: z.ZodError } {
  if (kind === 'svd') {
    const parsed = SvdInputSchema.safeParse(input);
    if (!parsed.success) return { ok: false, error: parsed.error };
    const frames = parsed.data.video_length === '14_frames_with_svd' ? 14 : 25;
    return { ok: true, inputs: parsed.data, plan: { model: MODEL_NAMES.svd, width: 1024, height: 576, frames, fps: parsed.data.frames_per_second + 1, steps: 25, seed: parsed.data.seed } };
  }
  const parsed = AnimateDiffInputSchema.safeParse(input);
  if (!parsed.success) return { ok: false, error: parsed.error };
  return { ok: true, inputs: parsed.data, plan: { model: MODEL_NAMES.animatediff, width: 512, height: 512, frames: 16, fps: 8, steps: parsed.data.steps, seed: parsed.data.seed } };
}
