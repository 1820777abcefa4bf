import { z } from 'zod';

/**
 * What a failure means for the plan: `retry` the same tier (transient), `failover` to the next tier
 * (this tier cannot make this video now), or `fatal` (no tier will: fail the job).
 */
export const ErrorClassSchema = z.enum(['retry', 'failover', 'fatal']);
export type ErrorClass = z.infer<typeof ErrorClassSchema>;

const CATALOGUE = {
  lease_expired: { class: 'retry', message: 'The worker running this attempt stopped responding.' },
  worker_shutdown: { class: 'retry', message: 'The worker was shut down before the video was finished.' },
  comfyui_unreachable: { class: 'retry', message: 'The GPU worker could not reach ComfyUI.' },
  comfyui_prompt_lost: { class: 'retry', message: 'ComfyUI lost the workflow (it may have restarted).' },
  comfyui_stalled: { class: 'retry', message: 'ComfyUI stopped reporting progress on the workflow.' },
  comfyui_execution_failed: { class: 'retry', message: 'ComfyUI failed while running the workflow.' },
  gpu_out_of_memory: { class: 'failover', message: 'The GPU ran out of memory making this video.' },
  comfyui_model_missing: { class: 'failover', message: 'A model this tier needs is not installed on the GPU worker.' },
  comfyui_node_missing: { class: 'failover', message: 'A ComfyUI custom node this tier needs is not installed.' },
  comfyui_workflow_invalid: { class: 'failover', message: 'ComfyUI refused the workflow.' },
  output_missing: { class: 'retry', message: 'The workflow finished without producing a video.' },
  encode_failed: { class: 'retry', message: 'The video could not be encoded.' },
  storage_failed: { class: 'retry', message: 'The video could not be stored.' },
  no_worker_available: { class: 'failover', message: 'No GPU worker had room for this video in time.' },
  provider_rate_limited: { class: 'retry', message: 'The video service is rate limiting us; the attempt is retried with backoff.' },
  provider_unavailable: { class: 'retry', message: 'The video service failed with a server error.' },
  provider_failed: { class: 'retry', message: 'The video service failed to make the video.' },
  provider_timeout: { class: 'failover', message: 'The video service did not finish in time.' },
  provider_bad_request: { class: 'fatal', message: 'The video service refused the request as invalid.' },
  provider_input_expired: { class: 'failover', message: 'The video service no longer holds the clip this video was extending.' },
  output_too_large: { class: 'failover', message: 'The video service returned a video larger than this service can take.' },
  safety_filtered: { class: 'failover', message: 'The video service withheld the result under its safety filters.' },
  tier_unavailable: { class: 'failover', message: 'This tier is not configured in this deployment.' },
  reference_image_missing: { class: 'fatal', message: 'The reference image could not be read.' },
  internal: { class: 'retry', message: 'An unexpected error occurred.' },
} as const satisfies Record<string, { class: ErrorClass; message: string }>;

export type ErrorCode = keyof typeof CATALOGUE;
export const ERROR_CODES = Object.keys(CATALOGUE) as [ErrorCode, ...ErrorCode[]];
export const ErrorCodeSchema = z.enum(ERROR_CODES);

/** A failure as stored on a job: a stable machine code and a message a person can act on. */
export const JobErrorSchema = z.object({
  code: ErrorCodeSchema.describe('Stable machine code.'),
  message: z.string().describe('What went wrong, for a person.'),
  retryable: z.boolean().describe('Whether the same tier may be tried again.'),
});
export type JobErrorData = z.infer<typeof JobErrorSchema>;

export function errorClassOf(code: ErrorCode): ErrorClass {
  return CATALOGUE[code].class;
}

/** The message the job's owner reads for `code`: what happened, in their terms, never our internals. */
export function userMessageFor(code: ErrorCode): string {
  return CATALOGUE[code].message;
}

export interface JobErrorOptions {
  cause?: unknown;
  /** What the owner reads instead of the code's own message; only text safe to show them (no URLs, paths or tool output). */
  userMessage?: string;
}

/**
 * An error that crosses process boundaries as data: matched by `code`, not only by `instanceof`.
 * `message` is the detail for operators (URLs, paths, ComfyUI or ffmpeg output) and goes to logs;
 * the job document gets {@link userMessage}, the code's own message unless a caller gave a safe one.
 */
export class JobError extends Error {
  override readonly name = 'JobError';
  readonly userMessage: string;
  constructor(readonly code: ErrorCode, message: string = CATALOGUE[code].message, options: JobErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.userMessage = options.userMessage ?? CATALOGUE[code].message;
  }

  get errorClass(): ErrorClass {
    return errorClassOf(this.code);
  }

  /** The error as the job stores it: the owner-readable message, never the operator's detail. */
  toData(): JobErrorData {
    return { code: this.code, message: this.userMessage, retryable: this.errorClass === 'retry' };
  }

  static is(value: unknown, code?: ErrorCode): value is JobError {
    const candidate = value as { name?: unknown; code?: unknown } | null;
    return (
      typeof candidate === 'object' && candidate !== null && candidate.name === 'JobError' &&
      typeof candidate.code === 'string' && (code === undefined || candidate.code === code)
    );
  }

  /** Any thrown value as a JobError; unknown failures become `internal` with their message kept as the detail. */
  static from(value: unknown): JobError {
    if (JobError.is(value)) return value;
    const message = value instanceof Error ? value.message : String(value);
    return new JobError('internal', `${CATALOGUE.internal.message} ${message}`, { cause: value });
  }
}
