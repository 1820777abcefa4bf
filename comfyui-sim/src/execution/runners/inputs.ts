import type { SimValue } from '../sim-values';

/** A node's inputs with links replaced by the upstream values. */
export type ResolvedInputs = Record<string, unknown>;

/** Frames of pixels or latents: what sizes an output file. */
export interface FrameShape {
  width: number;
  height: number;
  frames: number;
  seed: number;
}

const DEFAULT_SHAPE: FrameShape = { width: 512, height: 512, frames: 1, seed: 0 };

/** A number input, or `fallback` when absent or not a number. */
export function num(inputs: ResolvedInputs, name: string, fallback: number): number {
  const value = inputs[name];
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

/** A string input, or `fallback`. */
export function str(inputs: ResolvedInputs, name: string, fallback: string): string {
  const value = inputs[name];
  return typeof value === 'string' ? value : fallback;
}

/** A linked value of the simulator's own kind, if the input is one. */
export function simValue(inputs: ResolvedInputs, name: string): SimValue | undefined {
  const value = inputs[name];
  return value !== null && typeof value === 'object' && 'kind' in value ? (value as SimValue) : undefined;
}

/** The frame shape of a linked latent, image or video input. */
export function shapeOf(inputs: ResolvedInputs, name: string): FrameShape {
  const value = simValue(inputs, name);
  if (value && (value.kind === 'latent' || value.kind === 'image' || value.kind === 'video')) {
    return { width: value.width, height: value.height, frames: value.frames, seed: value.seed };
  }
  return { ...DEFAULT_SHAPE };
}

/** The linked model, if the input is one. */
export function modelOf(inputs: ResolvedInputs, name: string): Extract<SimValue, { kind: 'model' }> | undefined {
  const value = simValue(inputs, name);
  return value?.kind === 'model' ? value : undefined;
}
