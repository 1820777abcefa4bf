/**
 * How a ComfyUI run can fail, in ComfyUI's terms. The client knows nothing of jobs: the worker maps
 * these to the contract's job errors where it hands the run to the runner.
 */
export type ComfyFailure =
  | 'unreachable'
  | 'prompt_lost'
  | 'stalled'
  | 'execution_failed'
  | 'out_of_memory'
  | 'model_missing'
  | 'node_missing'
  | 'workflow_invalid'
  | 'input_image_missing'
  | 'output_missing';

/** A failure of ComfyUI or of talking to it; `message` is the detail for operators. */
export class ComfyError extends Error {
  override readonly name = 'ComfyError';
  constructor(readonly kind: ComfyFailure, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

interface NodeError {
  errors?: Array<{ type?: string; message?: string; details?: string }>;
  class_type?: string;
}

/** Maps a 400 from `POST /prompt` to a failure kind with a message that names what is missing. */
export function promptRejection(body: unknown): ComfyError {
  const payload = (body ?? {}) as { error?: { type?: string; message?: string; details?: string }; node_errors?: Record<string, NodeError> };
  const top = payload.error ?? {};
  if (top.type === 'invalid_prompt' && /does not exist/.test(top.message ?? '')) {
    return new ComfyError('node_missing', `ComfyUI: ${top.message}`);
  }
  const details = Object.entries(payload.node_errors ?? {}).flatMap(([id, node]) =>
    (node.errors ?? []).map((e) => ({ id, classType: node.class_type, type: e.type, text: `${node.class_type ?? id}: ${e.message ?? e.type}${e.details ? ` (${e.details})` : ''}` })),
  );
  const missingImage = details.find((d) => d.type === 'custom_validation_failed' && /Invalid image file/.test(d.text));
  if (missingImage) return new ComfyError('input_image_missing', `ComfyUI could not read the reference image: ${missingImage.text}`);
  const missingModel = details.find((d) => d.type === 'value_not_in_list' && /(ckpt|model|lora|vae)_name/.test(d.text));
  if (missingModel) return new ComfyError('model_missing', `ComfyUI is missing a model: ${missingModel.text}`);
  const summary = details.map((d) => d.text).join('; ') || top.message || 'no details';
  return new ComfyError('workflow_invalid', `ComfyUI refused the workflow: ${summary}`);
}

/** Maps an `execution_error` to a failure kind; out of memory has its own, as it decides fail-over. */
export function executionFailure(data: { exception_type?: string; exception_message?: string; node_type?: string }): ComfyError {
  const type = data.exception_type ?? '';
  const message = (data.exception_message ?? '').split('\n')[0]?.trim() ?? '';
  const where = data.node_type ? ` in ${data.node_type}` : '';
  if (/OutOfMemoryError/.test(type) || /out of memory|Allocation on device/i.test(message)) {
    return new ComfyError('out_of_memory', `The GPU ran out of memory${where}: ${message}`);
  }
  if (/FileNotFoundError/.test(type)) return new ComfyError('model_missing', `A file was missing${where}: ${message}`);
  return new ComfyError('execution_failed', `ComfyUI failed${where}: ${type}${message ? `: ${message}` : ''}`);
}
