import type { ModelArch } from '../catalogue/models';

/** A motion module patched into a model by the AnimateDiff loader. */
export interface MotionModule {
  name: string;
  arch: ModelArch;
  /** Frames the module handles without a context window. */
  maxFrames: number;
}

/**
 * What flows along a link in the simulator: enough of a tensor's shape to size the output files
 * (frames, width, height) and to make the run-time checks ComfyUI's nodes make.
 */
export type SimValue =
  | { kind: 'model'; arch: ModelArch; checkpoint: string; motion?: MotionModule; contextWindow: boolean }
  | { kind: 'latent' | 'image'; width: number; height: number; frames: number; seed: number }
  | { kind: 'video'; width: number; height: number; frames: number; seed: number; fps: number }
  | { kind: 'opaque'; type: string };

/** A node's result: its output values and, for output nodes, the ui dict of `executed`/history. */
export interface NodeResult {
  outputs: SimValue[];
  ui?: Record<string, unknown>;
}

/** A value of an opaque type (CLIP, VAE, CONDITIONING, ...). */
export function opaque(type: string): SimValue {
  return { kind: 'opaque', type };
}
