import { JobError, type ErrorCode } from '@vidgen/contract';
import { ComfyError, type ComfyFailure } from '../comfy/errors';

/** The job error each ComfyUI failure becomes: its code decides retry, fail-over or failure. */
const JOB_CODE = {
  unreachable: 'comfyui_unreachable',
  prompt_lost: 'comfyui_prompt_lost',
  stalled: 'comfyui_stalled',
  execution_failed: 'comfyui_execution_failed',
  out_of_memory: 'gpu_out_of_memory',
  model_missing: 'comfyui_model_missing',
  node_missing: 'comfyui_node_missing',
  workflow_invalid: 'comfyui_workflow_invalid',
  input_image_missing: 'reference_image_missing',
  output_missing: 'output_missing',
} as const satisfies Record<ComfyFailure, ErrorCode>;

/** A ComfyUI failure as the job's error, keeping its detail; anything else (an abort's reason, a job error) unchanged. */
export function jobErrorFromComfy(error: unknown): unknown {
  if (!(error instanceof ComfyError)) return error;
  return new JobError(JOB_CODE[error.kind], error.message, { cause: error });
}
