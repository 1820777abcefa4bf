import { z } from 'zod';
import { describeZodError } from '../shared/zod-message';
import { invalidArgument } from './veo-errors';
import { EXTENSION_SECONDS, MAX_EXTENDED_SECONDS, VEO_ASPECT_RATIOS, type VeoAspectRatio, type VeoModelSpec, type VeoResolution } from './veo-models';

/** A JSON integer, or a string of digits (proto3 JSON accepts both for int fields). */
const IntLikeSchema = z.union([z.number(), z.string().regex(/^-?\d+$/).transform(Number)]);

const ImageSchema = z.looseObject({
  bytesBase64Encoded: z.string().min(1).describe('the image, base64'),
  mimeType: z.string().optional().describe('image/png, image/jpeg or image/webp'),
});

/** `instances[0].video` as @google/genai sends it for the Gemini API: `{uri, encoding}` (mimeType becomes `encoding`). */
const VideoSchema = z.looseObject({
  uri: z.string().min(1).optional().describe('a video Veo made: the uri of a generated sample'),
  encodedVideo: z.string().optional().describe('video bytes; the Gemini API refuses them'),
  encoding: z.string().optional().describe('the mime type'),
});

const InstanceSchema = z.looseObject({
  prompt: z.string().optional(),
  image: ImageSchema.optional(),
  video: VideoSchema.optional(),
  lastFrame: ImageSchema.optional(),
  referenceImages: z.array(z.unknown()).optional(),
});

const ParametersSchema = z.looseObject({
  sampleCount: IntLikeSchema.optional(),
  durationSeconds: IntLikeSchema.optional(),
  aspectRatio: z.string().optional(),
  resolution: z.string().optional(),
  negativePrompt: z.string().optional(),
  personGeneration: z.string().optional(),
  enhancePrompt: z.boolean().optional(),
});

/** The body of `POST /v1beta/models/{model}:predictLongRunning`. */
export const PredictLongRunningBodySchema = z.object({
  instances: z.array(InstanceSchema).describe('exactly one'),
  parameters: ParametersSchema.optional(),
});
export type PredictLongRunningBody = z.infer<typeof PredictLongRunningBodySchema>;

/** A generated video the request wants extended, as the file store knows it. */
export interface ExtendableVideo {
  id: string;
  durationSeconds: number;
  aspectRatio: VeoAspectRatio;
  resolution: VeoResolution;
}

/** A validated generation request. */
export interface VeoVideoRequest {
  model: string;
  prompt: string;
  hasImage: boolean;
  /** The video being extended, when the request is an extension. */
  extends?: ExtendableVideo;
  /** Length of each video made (for an extension: the input's length plus 7 s). */
  durationSeconds: number;
  aspectRatio: VeoAspectRatio;
  resolution: VeoResolution;
  sampleCount: number;
  negativePrompt?: string;
  /** The parameters as sent, for `/sim/state`. */
  parameters: Record<string, unknown>;
  /** The instance as sent, base64 fields replaced by their length, for `/sim/state`. */
  instance: Record<string, unknown>;
}

const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/webp'];

/** The file id in a generated video's uri: `.../files/{id}:download?alt=media` or `files/{id}`. */
export function fileIdFromUri(uri: string): string | undefined {
  const matches = [...uri.matchAll(/files\/([a-z0-9]+)/g)];
  return matches.at(-1)?.[1];
}

const BYTE_FIELDS = new Set(['bytesBase64Encoded', 'encodedVideo']);

/** A copy of `value` with base64 payloads replaced by `<N base64 chars>`. */
function summarize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(summarize);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, field]) => [key, BYTE_FIELDS.has(key) && typeof field === 'string' ? `<${field.length} base64 chars>` : summarize(field)]),
  );
}

function checkImage(image: z.infer<typeof ImageSchema>, field: string): void {
  if (image.mimeType !== undefined && !IMAGE_TYPES.includes(image.mimeType)) {
    throw invalidArgument(`Unsupported MIME type for ${field}: ${image.mimeType}. Supported: ${IMAGE_TYPES.join(', ')}.`);
  }
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(image.bytesBase64Encoded)) {
    throw invalidArgument(`Invalid value at '${field}.bytesBase64Encoded' (TYPE_BYTES), Base64 decoding failed.`);
  }
}

/**
 * Validates a generation request as the Gemini API does for the model: one instance, a prompt or an
 * image, `durationSeconds` among the model's, `aspectRatio` 16:9 or 9:16, a resolution the model
 * offers (above 720p only for 8 s), and for an extension a Veo-made video on a model that extends.
 * Throws a 400 INVALID_ARGUMENT {@link GoogleApiError} naming the field.
 */
export function validateVideoRequest(
  model: string,
  spec: VeoModelSpec,
  body: unknown,
  findVideo: (fileId: string) => ExtendableVideo | undefined,
): VeoVideoRequest {
  const parsed = PredictLongRunningBodySchema.safeParse(body);
  if (!parsed.success) throw invalidArgument(`Invalid JSON payload received. ${describeZodError(parsed.error)}`);
  const { instances, parameters = {} } = parsed.data;
  if (instances.length !== 1) throw invalidArgument(`instances: exactly one instance is supported, got ${instances.length}.`);
  const instance = instances[0]!;
  const prompt = instance.prompt ?? '';
  if (prompt.trim() === '' && !instance.image && !instance.video) throw invalidArgument('instances[0].prompt: a prompt is required.');
  if (instance.image) checkImage(instance.image, 'instances[0].image');
  if (instance.lastFrame) checkImage(instance.lastFrame, 'instances[0].lastFrame');

  const aspectRatio = parameters.aspectRatio ?? '16:9';
  if (!(VEO_ASPECT_RATIOS as readonly string[]).includes(aspectRatio)) {
    throw invalidArgument(`Aspect ratio ${aspectRatio} is not supported. Supported values are: ${VEO_ASPECT_RATIOS.join(', ')}.`);
  }
  const resolution = parameters.resolution ?? spec.resolutions[0]!;
  if (!(spec.resolutions as string[]).includes(resolution)) {
    throw invalidArgument(`Resolution ${resolution} is not supported for ${model}. Supported values are: ${spec.resolutions.join(', ')}.`);
  }
  const durationSeconds = parameters.durationSeconds ?? spec.defaultDurationSeconds;
  if (!spec.durations.includes(durationSeconds)) {
    throw invalidArgument(`The value of durationSeconds (${durationSeconds}) is not supported for ${model}. Supported values are: ${spec.durations.join(', ')}.`);
  }
  if (resolution !== '720p' && durationSeconds !== 8) {
    throw invalidArgument(`Resolution ${resolution} is only supported with durationSeconds 8, got ${durationSeconds}.`);
  }
  const sampleCount = parameters.sampleCount ?? 1;
  if (!Number.isInteger(sampleCount) || sampleCount < 1 || sampleCount > spec.maxSamples) {
    throw invalidArgument(`sampleCount must be between 1 and ${spec.maxSamples} for ${model}, got ${sampleCount}.`);
  }
  const mode = instance.video ? 'extension' : instance.image ? 'image' : 'text';
  const persons = spec.personGeneration[mode];
  if (parameters.personGeneration !== undefined && !persons.includes(parameters.personGeneration)) {
    throw invalidArgument(`${parameters.personGeneration} for personGeneration is currently not supported. Supported values for ${mode} input on ${model}: ${persons.join(', ') || 'none'}.`);
  }

  const base: VeoVideoRequest = {
    model,
    prompt,
    hasImage: instance.image !== undefined,
    durationSeconds,
    aspectRatio: aspectRatio as VeoAspectRatio,
    resolution: resolution as VeoResolution,
    sampleCount,
    ...(parameters.negativePrompt !== undefined ? { negativePrompt: parameters.negativePrompt } : {}),
    parameters: { ...parameters },
    instance: summarize(instance) as Record<string, unknown>,
  };
  return instance.video ? extensionRequest(base, spec, instance.video, instance.image !== undefined, findVideo) : base;
}

function extensionRequest(
  base: VeoVideoRequest,
  spec: VeoModelSpec,
  video: z.infer<typeof VideoSchema>,
  hasImage: boolean,
  findVideo: (fileId: string) => ExtendableVideo | undefined,
): VeoVideoRequest {
  if (!spec.extension) throw invalidArgument(`Video extension is not supported for ${base.model}.`);
  if (hasImage) throw invalidArgument('instances[0]: image and video cannot be used together.');
  if (!video.uri) throw invalidArgument('instances[0].video: encodedVideo is not supported in the Gemini API; pass the uri of a video generated by Veo.');
  const fileId = fileIdFromUri(video.uri);
  const input = fileId === undefined ? undefined : findVideo(fileId);
  if (!input) throw invalidArgument(`instances[0].video.uri: ${video.uri} is not a video generated by Veo that can be extended.`);
  if (input.resolution !== '720p' || base.resolution !== '720p') throw invalidArgument('Video extension is only supported at 720p.');
  if (base.sampleCount !== 1) throw invalidArgument('sampleCount must be 1 for video extension.');
  const durationSeconds = input.durationSeconds + EXTENSION_SECONDS;
  if (durationSeconds > MAX_EXTENDED_SECONDS) {
    throw invalidArgument(`The input video is ${input.durationSeconds} s long; an extended video can be at most ${MAX_EXTENDED_SECONDS} s.`);
  }
  return { ...base, extends: input, durationSeconds, aspectRatio: input.aspectRatio };
}
