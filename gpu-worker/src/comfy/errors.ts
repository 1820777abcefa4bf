import { JobError } from '@vidgen/contract';

interface NodeError {
  errors?: Array<{ type?: string; message?: string; details?: string }>;
  class_type?: string;
}

/** Maps a 400 from `POST /prompt` to a stable code with a message that names what is missing. */
export function promptRejection(body: unknown): JobError {
  const payload = (body ?? {}) as { error?: { type?: string; message?: string; details?: string }; node_errors?: Record<string, NodeError> };
  const top = payload.error ?? {};
  if (top.type === 'invalid_prompt' && /does not exist/.test(top.message ?? '')) {
    return new JobError('comfyui_node_missing', `ComfyUI: ${top.message}`);
  }
  const details = Object.entries(payload.node_errors ?? {}).flatMap(([id, node]) =>
    (node.errors ?? []).map((e) => ({ id, classType: node.class_type, type: e.type, text: `${node.class_type ?? id}: ${e.message ?? e.type}${e.details ? ` (${e.details})` : ''}` })),
  );
  const missingImage = details.find((d) => d.type === 'custom_validation_failed' && /Invalid image file/.test(d.text));
  if (missingImage) return new JobError('reference_image_missing', `ComfyUI could not read the reference image: ${missingImage.text}`);
  const missingModel = details.find((d) => d.type === 'value_not_in_list' && /(ckpt|model|lora|vae)_name/.test(d.text));
  if (missingModel) return new JobError('comfyui_model_missing', `ComfyUI is missing a model: ${missingModel.text}`);
  const summary = details.map((d) => d.text).join('; ') || top.message || 'no details';
  return new JobError('comfyui_workflow_invalid', `ComfyUI refused the workflow: ${summary}`);
}

/** Maps an `execution_error` to a stable code; out of memory has its own, as it decides fail-over. */
export function executionFailure(data: { exception_type?: string; exception_message?: string; node_type?: string }): JobError {
  const type = data.exception_type ?? '';
  const message = (data.exception_message ?? '').split('\n')[0]?.trim() ?? '';
  const where = data.node_type ? ` in ${data.node_type}` : '';
  if (/OutOfMemoryError/.test(type) || /out of memory|Allocation on device/i.test(message)) {
    return new JobError('gpu_out_of_memory', `The GPU ran out of memory${where}: ${message}`);
  }
  if (/FileNotFoundError/.test(type)) return new JobError('comfyui_model_missing', `A file was missing${where}: ${message}`);
  return new JobError('comfyui_execution_failed', `ComfyUI failed${where}: ${type}${message ? `: ${message}` : ''}`);
}
