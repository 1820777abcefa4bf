import { z } from 'zod';

/** Model files by folder, as `GET /models/{folder}` lists them. */
export const ModelFoldersSchema = z
  .record(z.string(), z.array(z.string()))
  .describe('model files present, by ComfyUI model folder name (checkpoints, loras, ...)');
export type ModelFolders = z.infer<typeof ModelFoldersSchema>;

/** The files a fresh simulator has: what the AnimateDiff and SVD workflows load. */
export const DEFAULT_MODELS: Readonly<ModelFolders> = {
  checkpoints: ['v1-5-pruned-emaonly.safetensors', 'sd_xl_base_1.0.safetensors', 'svd_xt_1_1.safetensors'],
  animatediff_models: ['v3_sd15_mm.ckpt', 'mm_sd_v15_v2.ckpt'],
  vae: ['sdxl_vae.safetensors'],
  loras: ['add_detail.safetensors', 'v3_sd15_adapter.ckpt'],
  clip_vision: [],
  animatediff_motion_lora: [],
  embeddings: [],
  controlnet: [],
  upscale_models: [],
  diffusion_models: [],
  text_encoders: [],
  configs: [],
};

/** Model families, for the compatibility checks AnimateDiff makes at run time. */
export type ModelArch = 'sd15' | 'sdxl' | 'svd' | 'other';

/** Approximate size in bytes of a model file once loaded: drives the simulated free VRAM. */
export function modelSizeBytes(folder: string, file: string): number {
  const gib = 1024 ** 3;
  if (folder === 'checkpoints') {
    const arch = modelArch(file);
    return Math.round((arch === 'sdxl' ? 6.5 : arch === 'svd' ? 4.5 : 2) * gib);
  }
  if (folder === 'animatediff_models') return Math.round(1.6 * gib);
  if (folder === 'vae') return Math.round(0.3 * gib);
  return Math.round(0.15 * gib);
}

/** The family a checkpoint or motion module file name belongs to. */
export function modelArch(file: string): ModelArch {
  const name = file.toLowerCase();
  if (name.includes('svd')) return 'svd';
  if (name.includes('xl')) return 'sdxl';
  if (name.includes('v1-5') || name.includes('sd15') || name.includes('sd_v15')) return 'sd15';
  return 'other';
}

/** Folder contents after applying the defaults, an override and a list of absent files. */
export function resolveModelFolders(override: ModelFolders | undefined, absent: readonly string[]): ModelFolders {
  const folders: ModelFolders = {};
  for (const [folder, files] of Object.entries({ ...DEFAULT_MODELS, ...override })) {
    folders[folder] = [...files]
      .filter((file) => !absent.includes(file) && !absent.includes(`${folder}/${file}`))
      .sort();
  }
  return folders;
}
