import { z } from 'zod';
import { AspectRatioSchema, ModelChoiceSchema } from './tiers';

export const PROMPT_MAX_CHARS = 2000;
export const NEGATIVE_PROMPT_MAX_CHARS = 1000;
/** What a model that takes a negative prompt is told to avoid when the request names nothing. */
export const DEFAULT_NEGATIVE_PROMPT = 'blurry, low quality, distorted, watermark, text';
const IMAGE_PATH = /^uploads\/[A-Za-z0-9_-]{1,128}\/(?:[A-Za-z0-9_-][A-Za-z0-9._ -]{0,127}\/){0,4}[A-Za-z0-9_-][A-Za-z0-9._ -]{0,127}\.(?:png|jpe?g|webp|PNG|JPE?G|WEBP)$/;

/** The input of the `createVideoJob` callable. Unknown fields are refused, so a typo never goes unnoticed. */
export const CreateVideoJobRequestSchema = z
  .object({
    prompt: z
      .string({ error: 'must be a string' })
      .trim()
      .min(1, { error: 'must not be empty' })
      .max(PROMPT_MAX_CHARS, { error: `must be at most ${PROMPT_MAX_CHARS} characters` })
      .describe('What the video shows.'),
    negativePrompt: z
      .string({ error: 'must be a string' })
      .trim()
      .max(NEGATIVE_PROMPT_MAX_CHARS, { error: `must be at most ${NEGATIVE_PROMPT_MAX_CHARS} characters` })
      .optional()
      .describe('What the video should avoid.'),
    model: ModelChoiceSchema.default('auto').describe('`auto` tries veo, then animatediff, then svd; a tier name uses that tier alone.'),
    referenceImagePath: z
      .string({ error: 'must be a string' })
      .regex(IMAGE_PATH, { error: 'must be a Storage path uploads/{your uid}/NAME.png|jpg|jpeg|webp without ".." segments' })
      .optional()
      .describe('A reference image the caller uploaded to Storage.'),
    aspectRatio: AspectRatioSchema.optional(),
    durationSeconds: z
      .number({ error: 'must be a number' })
      .int({ error: 'must be a whole number of seconds' })
      .min(1, { error: 'must be at least 1' })
      .max(600, { error: 'must be at most 600' })
      .optional(),
    audio: z
      .boolean({ error: 'must be true or false' })
      .optional()
      .describe('false leaves the sound out; Veo makes sound (kept by default), the other tiers are silent.'),
    seed: z
      .number({ error: 'must be a number' })
      .int({ error: 'must be a whole number' })
      .min(0, { error: 'must be at least 0' })
      .max(2 ** 32 - 1, { error: `must be at most ${2 ** 32 - 1}` })
      .optional(),
    idempotencyKey: z
      .string({ error: 'must be a string' })
      .regex(/^[A-Za-z0-9_.:-]{1,128}$/, { error: 'must be 1-128 characters of letters, digits and _ . : -' })
      .optional()
      .describe('Repeating a call with the same key returns the same job.'),
  })
  .strict();
export type CreateVideoJobRequest = z.infer<typeof CreateVideoJobRequestSchema>;

export const CreateVideoJobResponseSchema = z.object({ jobId: z.string() });
export type CreateVideoJobResponse = z.infer<typeof CreateVideoJobResponseSchema>;

export const CancelVideoJobRequestSchema = z
  .object({ jobId: z.string({ error: 'must be a string' }).regex(/^[A-Za-z0-9_-]{1,128}$/, { error: 'must be a job id' }) })
  .strict();
export type CancelVideoJobRequest = z.infer<typeof CancelVideoJobRequestSchema>;

/** Whether a reference image path lies in the caller's own upload folder. */
export function isOwnUpload(path: string, uid: string): boolean {
  return path.startsWith(`uploads/${uid}/`);
}
