import { openSync, readSync, closeSync } from 'node:fs';
import path from 'node:path';
import { modelArch } from '../../catalogue/models';
import { parseAnnotated } from '../../outputs/data-dirs';
import { NodeFailure } from '../failures';
import type { NodeRunApi } from '../node-api';
import { opaque, type NodeResult, type SimValue } from '../sim-values';
import { modelOf, num, shapeOf, simValue, str, type ResolvedInputs } from './inputs';

/** A node's simulated implementation. */
export type NodeRunner = (api: NodeRunApi, inputs: ResolvedInputs) => Promise<NodeResult>;

/** Frames a motion module takes without a context window (AnimateDiff's encoding_max_len). */
const MOTION_MAX_FRAMES = 32;

async function loadCheckpoint(api: NodeRunApi, inputs: ResolvedInputs, second: string): Promise<NodeResult> {
  await api.checkpoint();
  const ckpt = str(inputs, 'ckpt_name', '');
  await api.loadModel('checkpoints', ckpt);
  return { outputs: [{ kind: 'model', arch: modelArch(ckpt), checkpoint: ckpt, contextWindow: false }, opaque(second), opaque('VAE')] };
}

function pngSize(file: string): { width: number; height: number } | undefined {
  try {
    const fd = openSync(file, 'r');
    const header = Buffer.alloc(24);
    readSync(fd, header, 0, 24, 0);
    closeSync(fd);
    if (header.readUInt32BE(0) !== 0x89504e47) return undefined;
    return { width: header.readUInt32BE(16), height: header.readUInt32BE(20) };
  } catch {
    return undefined;
  }
}

async function passThrough(api: NodeRunApi, outputs: SimValue[]): Promise<NodeResult> {
  await api.checkpoint();
  return { outputs };
}

/** Loaders, conditioning, latents, the sampler and the decoder. */
export const modelNodeRunners: Record<string, NodeRunner> = {
  CheckpointLoaderSimple: (api, inputs) => loadCheckpoint(api, inputs, 'CLIP'),
  ImageOnlyCheckpointLoader: (api, inputs) => loadCheckpoint(api, inputs, 'CLIP_VISION'),

  async VAELoader(api, inputs) {
    await api.checkpoint();
    await api.loadModel('vae', str(inputs, 'vae_name', ''));
    return { outputs: [opaque('VAE')] };
  },

  async LoraLoader(api, inputs) {
    await api.checkpoint();
    await api.loadModel('loras', str(inputs, 'lora_name', ''));
    return { outputs: [modelOf(inputs, 'model') ?? opaque('MODEL'), opaque('CLIP')] };
  },

  async ADE_AnimateDiffLoaderGen1(api, inputs) {
    await api.checkpoint();
    const name = str(inputs, 'model_name', '');
    await api.loadModel('animatediff_models', name);
    const model = modelOf(inputs, 'model');
    const arch = modelArch(name);
    if (model && model.arch !== arch && model.arch !== 'other' && arch !== 'other') {
      const family = { sd15: 'SD1.5', sdxl: 'SDXL', svd: 'SVD', other: 'unknown' };
      throw new NodeFailure('MotionCompatibilityError', `Motion module '${name}' is intended for ${family[arch]} models, but the provided model is type ${family[model.arch]}.`);
    }
    const base = model ?? { kind: 'model' as const, arch, checkpoint: '', contextWindow: false };
    return { outputs: [{ ...base, motion: { name, arch, maxFrames: MOTION_MAX_FRAMES }, contextWindow: simValue(inputs, 'context_options') !== undefined }] };
  },

  ADE_StandardStaticContextOptions: (api) => passThrough(api, [opaque('CONTEXT_OPTIONS')]),
  CLIPTextEncode: (api) => passThrough(api, [opaque('CONDITIONING')]),
  VideoLinearCFGGuidance: (api, inputs) => passThrough(api, [modelOf(inputs, 'model') ?? opaque('MODEL')]),

  EmptyLatentImage: (api, inputs) =>
    passThrough(api, [{ kind: 'latent', width: num(inputs, 'width', 512), height: num(inputs, 'height', 512), frames: num(inputs, 'batch_size', 1), seed: 0 }]),

  SVD_img2vid_Conditioning: (api, inputs) =>
    passThrough(api, [
      opaque('CONDITIONING'),
      opaque('CONDITIONING'),
      { kind: 'latent', width: num(inputs, 'width', 1024), height: num(inputs, 'height', 576), frames: num(inputs, 'video_frames', 14), seed: 0 },
    ]),

  async LoadImage(api, inputs) {
    await api.checkpoint();
    const { name, type } = parseAnnotated(str(inputs, 'image', ''));
    const size = pngSize(path.join(api.core.dirs[type ?? 'input'], name)) ?? { width: 512, height: 512 };
    return { outputs: [{ kind: 'image', ...size, frames: 1, seed: 0 }, opaque('MASK')] };
  },

  async KSampler(api, inputs) {
    const latent = shapeOf(inputs, 'latent_image');
    const model = modelOf(inputs, 'model');
    if (model?.motion && !model.contextWindow && latent.frames > model.motion.maxFrames) {
      throw new NodeFailure(
        'ValueError',
        `Without a context window, AnimateDiff model ${model.motion.name} has upper limit of ${model.motion.maxFrames} frames, but received ${latent.frames} latents.`,
      );
    }
    const steps = Math.max(1, num(inputs, 'steps', 20));
    for (let step = 1; step <= steps; step += 1) {
      await api.sleep(api.core.timing.stepMs);
      await api.progress(step, steps);
    }
    return { outputs: [{ kind: 'latent', ...latent, seed: num(inputs, 'seed', 0) }] };
  },

  async VAEDecode(api, inputs) {
    await api.checkpoint();
    await api.sleep(api.core.timing.decodeMs);
    return { outputs: [{ kind: 'image', ...shapeOf(inputs, 'samples') }] };
  },
};
