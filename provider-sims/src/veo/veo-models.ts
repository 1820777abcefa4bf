/** What a Veo model accepts, as the Gemini API documents it. */
export interface VeoModelSpec {
  /** Allowed `durationSeconds`. */
  durations: number[];
  defaultDurationSeconds: number;
  /** Allowed `resolution`; the first is the default. */
  resolutions: VeoResolution[];
  /** Whether it extends a video it made (`instances[0].video`). */
  extension: boolean;
  /** Whether its clips carry sound. */
  audio: boolean;
  /** Most videos one request may ask for (`sampleCount`). */
  maxSamples: number;
}

export type VeoResolution = '720p' | '1080p' | '4k';
export type VeoAspectRatio = '16:9' | '9:16';

/** Aspect ratios the Gemini API accepts for Veo. */
export const VEO_ASPECT_RATIOS: readonly VeoAspectRatio[] = ['16:9', '9:16'];

const VEO_3_1: VeoModelSpec = { durations: [4, 6, 8], defaultDurationSeconds: 8, resolutions: ['720p', '1080p', '4k'], extension: true, audio: true, maxSamples: 4 };
const VEO_3_0: VeoModelSpec = { durations: [4, 6, 8], defaultDurationSeconds: 8, resolutions: ['720p', '1080p'], extension: false, audio: true, maxSamples: 4 };
const VEO_2_0: VeoModelSpec = { durations: [5, 6, 7, 8], defaultDurationSeconds: 8, resolutions: ['720p'], extension: false, audio: false, maxSamples: 2 };

/** The Veo models the simulator knows, by id (without the `models/` prefix). */
export const VEO_MODELS: Readonly<Record<string, VeoModelSpec>> = {
  'veo-3.1-generate-preview': VEO_3_1,
  'veo-3.1-fast-generate-preview': VEO_3_1,
  'veo-3.0-generate-001': VEO_3_0,
  'veo-3.0-fast-generate-001': VEO_3_0,
  'veo-2.0-generate-001': VEO_2_0,
};

/** Seconds one extension adds. */
export const EXTENSION_SECONDS = 7;
/** Longest video extension can reach. */
export const MAX_EXTENDED_SECONDS = 148;
/** Veo's frame rate. */
export const VEO_FPS = 24;

const FRAME_SIZES: Record<VeoResolution, { width: number; height: number }> = {
  '720p': { width: 1280, height: 720 },
  '1080p': { width: 1920, height: 1080 },
  '4k': { width: 3840, height: 2160 },
};

/** The full-size frame for a resolution and aspect ratio (portrait swaps the sides). */
export function frameSize(resolution: VeoResolution, aspectRatio: VeoAspectRatio): { width: number; height: number } {
  const { width, height } = FRAME_SIZES[resolution];
  return aspectRatio === '16:9' ? { width, height } : { width: height, height: width };
}
