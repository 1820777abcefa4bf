import { JobError } from '@vidgen/contract';
import { jobErrorFromComfy } from '../src/attempts/comfy-failures';
import { ComfyError, type ComfyFailure } from '../src/comfy/errors';

describe('jobErrorFromComfy', () => {
  it.each<[ComfyFailure, string, string]>([
    ['unreachable', 'comfyui_unreachable', 'retry'],
    ['prompt_lost', 'comfyui_prompt_lost', 'retry'],
    ['stalled', 'comfyui_stalled', 'retry'],
    ['execution_failed', 'comfyui_execution_failed', 'retry'],
    ['output_missing', 'output_missing', 'retry'],
    ['out_of_memory', 'gpu_out_of_memory', 'failover'],
    ['model_missing', 'comfyui_model_missing', 'failover'],
    ['node_missing', 'comfyui_node_missing', 'failover'],
    ['workflow_invalid', 'comfyui_workflow_invalid', 'failover'],
    ['input_image_missing', 'reference_image_missing', 'fatal'],
  ])('%s becomes the job error %s (%s), keeping the detail for operators', (kind, code, errorClass) => {
    const failure = new ComfyError(kind, `ComfyUI detail for ${kind}`);
    const error = jobErrorFromComfy(failure);
    expect(JobError.is(error)).toBe(true);
    const jobError = error as JobError;
    expect({ code: jobError.code, errorClass: jobError.errorClass, message: jobError.message }).toEqual({ code, errorClass, message: `ComfyUI detail for ${kind}` });
    expect(jobError.cause).toBe(failure);
    expect(jobError.toData().message).not.toContain('ComfyUI detail');
  });

  it('passes anything else through: an abort reason, a job error the worker threw itself', () => {
    const reason = new Error('lease lost');
    const own = new JobError('output_missing');
    expect(jobErrorFromComfy(reason)).toBe(reason);
    expect(jobErrorFromComfy(own)).toBe(own);
  });
});
