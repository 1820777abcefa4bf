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

/** SVD's inputs (stability-ai/stable-video-diffusion on Replicate). */
export const SvdInputSchema = z.looseObject({
  input_image: z.string().min(1).describe('URL or data URI of the starting image'),
  video_length: z.enum(['14_frames_with_svd', '25_frames_with_svd_xt']).default('25_frames_with_svd_xt'),
  sizing_strategy: z.enum(['maintain_aspect_ratio', 'crop_to_16_9', 'use_image_dimensions']).default('maintain_aspect_ratio'),
  frames_per_second: z.number().int().min(5).max(30).default(6),
  motion_bucket_id: z.number().int().min(1).max(255).default(127),
  cond_aug: z.number().default(0.02),
  decoding_t: z.number().int().min(1).max(14).default(14),
  seed: z.number().int().optional(),
});

/** AnimateDiff's inputs (lucataco/animate-diff on Replicate). */
export const AnimateDiffInputSchema = z.looseObject({
  motion_module: z.enum(['mm_sd_v14', 'mm_sd_v15', 'mm_sd_v15_v2']).default('mm_sd_v15_v2'),
  path: z.string().min(1).default('toonyou_beta3.safetensors').describe('base model'),
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

/** The input checked against the kind's schema: the plan, or the zod error. */
export function planFor(kind: ReplicateModelKind, input: unknown): { ok: true; plan: KindPlan } | { ok: false; error: z.ZodError } {
  if (kind === 'svd') {
    const parsed = SvdInputSchema.safeParse(input);
    if (!parsed.success) return { ok: false, error: parsed.error };
    const frames = parsed.data.video_length === '14_frames_with_svd' ? 14 : 25;
    return { ok: true, plan: { model: MODEL_NAMES.svd, width: 1024, height: 576, frames, fps: parsed.data.frames_per_second, steps: 25, seed: parsed.data.seed } };
  }
  const parsed = AnimateDiffInputSchema.safeParse(input);
  if (!parsed.success) return { ok: false, error: parsed.error };
  return { ok: true, plan: { model: MODEL_NAMES.animatediff, width: 512, height: 512, frames: 16, fps: 8, steps: parsed.data.steps, seed: parsed.data.seed } };
}
