import type { VideoJobInput } from '@vidgen/client';
import { byId } from './dom';

/** What the Storage rules accept under uploads/{uid}/: these image types, under 10 MiB. */
const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/webp'];
const MAX_IMAGE_BYTES = 10 * 1024 * 1024;
const MODELS = ['auto', 'veo', 'animatediff', 'svd'] as const;
const ASPECT_RATIOS = ['16:9', '9:16', '1:1'] as const;

export interface FormRequest {
  /** The callable's input, less the reference image, which must be uploaded first. */
  input: VideoJobInput;
  image: File | null;
}

const isOneOf = <T extends string>(values: readonly T[], value: string): value is T => (values as readonly string[]).includes(value);

/**
 * Reads the form. Catches only what a person can fix before sending (an empty prompt, a wrong
 * kind of file); the callable checks everything else and its message names the field.
 */
export function readForm(): FormRequest | { error: string } {
  const prompt = byId('prompt', HTMLTextAreaElement).value.trim();
  if (!prompt) return { error: 'Write a prompt first.' };
  const input: VideoJobInput = { prompt, idempotencyKey: crypto.randomUUID() };

  const model = byId('model', HTMLSelectElement).value;
  if (isOneOf(MODELS, model)) input.model = model;
  const aspectRatio = byId('aspect-ratio', HTMLSelectElement).value;
  if (isOneOf(ASPECT_RATIOS, aspectRatio)) input.aspectRatio = aspectRatio;
  const duration = byId('duration', HTMLInputElement).value.trim();
  if (duration) {
    const seconds = Number(duration);
    if (!Number.isInteger(seconds) || seconds < 1) return { error: 'Duration: a whole number of seconds, at least 1 (or leave it empty).' };
    input.durationSeconds = seconds;
  }

  const image = byId('reference-image', HTMLInputElement).files?.[0] ?? null;
  if (image && !IMAGE_TYPES.includes(image.type)) return { error: `Reference image: must be PNG, JPEG or WebP, not ${image.type || 'an unknown type'}.` };
  if (image && image.size >= MAX_IMAGE_BYTES) return { error: 'Reference image: must be under 10 MiB.' };
  return { input, image };
}
