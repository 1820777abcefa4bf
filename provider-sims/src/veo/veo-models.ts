/**
 * What a Veo model accepts, as the Gemini API documents it (ai.google.dev/gemini-api/docs/video,
 * "Veo model parameters" and "Model versions", read for Veo 3.1 / 3 / 2 in 2026): durations,
 * resolutions, extension (Veo 3.1 only), sound (Veo 3.x), `numberOfVideos` (1 for Veo 3.x, 1-2 for
 * Veo 2) and `personGeneration` per mode (Veo 3.x: `allow_all` for text-to-video and extension,
 * `allow_adult` for image-to-video; Veo 2: any of the three, `allow_all` not for images).
 */
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
  /** Accepted `personGeneration` values by mode. */
  personGeneration: Record<'text' | 'image' | 'extension', string[]>;
}

export type VeoResolution = '720p' | '1080p' | '4k';
export type VeoAspectRatio = '16:9' | '9:16';

/** Aspect ratios the Gemini API accepts for Veo. */
export const VEO_ASPECT_RATIOS: readonly VeoAspectRatio[] = ['16:9', '9:16'];

const VEO_3_PERSONS = { text: ['allow_all'], image: ['allow_adult'], extension: ['allow_all'] };
const VEO_3_1: VeoModelSpec = { durations: [4, 6, 8], defaultDurationSeconds: 8, resolutions: ['720p', '1080p', '4k'], extension: true, audio: true, maxSamples: 1, personGeneration: VEO_3_PERSONS };
const VEO_3_0: VeoModelSpec = { durations: [4, 6, 8], defaultDurationSeconds: 8, resolutions: ['720p', '1080p'], extension: false, audio: true, maxSamples: 1, personGeneration: VEO_3_PERSONS };
const VEO_2_0: VeoModelSpec = {
  durations: [5, 6, 7, 8],
  defaultDurationSeconds: 8,
  resolutions: ['720p'],
  extension: false,
  audio: false,
  maxSamples: 2,
  personGeneration: { text: ['allow_all', 'allow_adult', 'dont_allow'], image: ['allow_adult', 'dont_allow'], extension: [] },
};

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
/**
 * A realistic time from create to done: the Gemini API documents 11 s to 6 min per request; this
 * takes 30 s plus 8 s per second of video made (94 s for 8 s, 86 s for an extension).
 */
export function realisticLatencyMs(secondsMade: number): number {
  return (30 + 8 * secondsMade) * 1000;
}

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
