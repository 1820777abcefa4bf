import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ComfyError, executionFailure, promptRejection } from '../src/comfy/errors';
import { HistoryEntrySchema, outputFiles, parseComfyMessage, promptIdOf } from '../src/comfy/messages';

/** Representative ComfyUI 0.3.64 traffic (kept in comfyui-sim's fixtures), which the client must understand. */
const vectors = JSON.parse(readFileSync(join(__dirname, '..', '..', 'comfyui-sim', 'test', 'fixtures', 'comfyui-vectors.json'), 'utf8')) as Record<string, unknown>;

interface WsVector {
  type: string;
  data: Record<string, unknown>;
}
const ws = (name: string) => vectors[name] as WsVector[];

describe('promptRejection maps the reference 400 bodies', () => {
  it('post_prompt_400_missing_model -> model_missing, naming the file', () => {
    const error = promptRejection(vectors.post_prompt_400_missing_model);
    expect(error).toBeInstanceOf(ComfyError);
    expect(error.kind).toBe('model_missing');
    expect(error.message).toContain('CheckpointLoaderSimple');
    expect(error.message).toContain('v1-5-pruned-emaonly.safetensors');
  });

  it('post_prompt_400_unknown_node -> node_missing, naming the class', () => {
    const error = promptRejection(vectors.post_prompt_400_unknown_node);
    expect(error.kind).toBe('node_missing');
    expect(error.message).toContain('ADE_AnimateDiffLoaderGen1');
  });

  it('post_prompt_400_missing_input -> workflow_invalid, naming the node and input', () => {
    const error = promptRejection(vectors.post_prompt_400_missing_input);
    expect(error.kind).toBe('workflow_invalid');
    expect(error.message).toContain('KSampler');
    expect(error.message).toContain('steps');
  });

  it('other bodies are workflow_invalid', () => {
    expect(promptRejection({ error: { type: 'no_prompt', message: 'No prompt provided', details: 'No prompt provided', extra_info: {} }, node_errors: {} }).kind).toBe('workflow_invalid');
    expect(promptRejection({ error: { type: 'invalid_prompt', message: 'Cannot execute because a node is missing the class_type property.' }, node_errors: {} }).kind).toBe('workflow_invalid');
    expect(promptRejection('500 Internal Server Error').kind).toBe('workflow_invalid');
    expect(promptRejection(null).kind).toBe('workflow_invalid');
    // A value_not_in_list on an input that is not a model is not a missing model.
    const sampler = { error: { type: 'prompt_outputs_failed_validation' }, node_errors: { '6': { class_type: 'KSampler', errors: [{ type: 'value_not_in_list', message: 'Value not in list', details: "sampler_name: 'x' not in [...]" }] } } };
    expect(promptRejection(sampler).kind).toBe('workflow_invalid');
  });
});

describe('executionFailure', () => {
  it('maps the ws_out_of_memory execution_error to out_of_memory with the first line only', () => {
    const message = ws('ws_out_of_memory').find((m) => m.type === 'execution_error');
    expect(message).toBeDefined();
    const error = executionFailure(message!.data);
    expect(error.kind).toBe('out_of_memory');
    expect(error.message).toBe('The GPU ran out of memory in KSampler: Allocation on device');
  });

  it('recognises other out-of-memory shapes, missing files and generic failures', () => {
    expect(executionFailure({ exception_type: 'torch.cuda.OutOfMemoryError', exception_message: 'CUDA out of memory. Tried to allocate 2.50 GiB' }).kind).toBe('out_of_memory');
    expect(executionFailure({ exception_type: 'RuntimeError', exception_message: 'CUDA out of memory.' }).kind).toBe('out_of_memory');
    expect(executionFailure({ exception_type: 'FileNotFoundError', exception_message: "[Errno 2] No such file or directory: 'x'", node_type: 'CheckpointLoaderSimple' }).kind).toBe('model_missing');
    const generic = executionFailure({ exception_type: 'RuntimeError', exception_message: 'boom\ntraceback', node_type: 'VAEDecode' });
    expect(generic.kind).toBe('execution_failed');
    expect(generic.message).toBe('ComfyUI failed in VAEDecode: RuntimeError: boom');
    expect(executionFailure({}).kind).toBe('execution_failed');
  });

  it('maps the history_error entry the same way', () => {
    const entry = HistoryEntrySchema.parse(Object.values(vectors.history_error as Record<string, unknown>)[0]);
    const failure = entry.status?.messages.find(([type]) => type === 'execution_error');
    expect(executionFailure(failure![1] as Parameters<typeof executionFailure>[0]).kind).toBe('out_of_memory');
  });
});

describe('messages against the reference traffic', () => {
  it('parses every message of ws_success and keeps its prompt id', () => {
    const promptId = '5b0e4c1e-2d7a-4b53-9a55-0c1f3c2d9e11';
    const parsed = ws('ws_success').map((m) => parseComfyMessage(JSON.stringify(m)));
    const followed = parsed.filter((m) => m !== null);
    // Only progress_state is not followed.
    expect(followed.map((m) => m.type)).toEqual(ws('ws_success').filter((m) => m.type !== 'progress_state').map((m) => m.type));
    const last = followed.at(-1)!;
    expect(last).toMatchObject({ type: 'executing', data: { node: null } });
    expect(promptIdOf(last)).toBe(promptId);
    expect(parsed.filter((m) => m?.type === 'progress').map((m) => m && promptIdOf(m))).toEqual(expect.arrayContaining([promptId]));
  });

  it('parses ws_out_of_memory and ws_interrupted', () => {
    for (const name of ['ws_out_of_memory', 'ws_interrupted']) {
      for (const message of ws(name)) expect(parseComfyMessage(JSON.stringify(message))?.type).toBe(message.type);
    }
  });

  it('ignores text that is not a followed message', () => {
    expect(parseComfyMessage('not json')).toBeNull();
    expect(parseComfyMessage(JSON.stringify({ type: 'crystools.monitor', data: {} }))).toBeNull();
  });

  it('finds the VHS video under gifs in history_success, and core outputs under images', () => {
    const entry = HistoryEntrySchema.parse(Object.values(vectors.history_success as Record<string, unknown>)[0]);
    expect(entry.status).toMatchObject({ status_str: 'success', completed: true });
    expect(outputFiles(entry.outputs)).toEqual([expect.objectContaining({ filename: 'job_abc123_00001.mp4', subfolder: '', type: 'output', format: 'video/h264-mp4' })]);
    const core = outputFiles({ '7': vectors.core_video_output as Record<string, unknown> });
    expect(core).toEqual([expect.objectContaining({ filename: 'ComfyUI_00001_.mp4', subfolder: 'video', type: 'output' })]);
  });

  it('lists videos before other files', () => {
    const files = outputFiles({ '1': { images: [{ filename: 'a.png' }] }, '2': { gifs: [{ filename: 'b.mp4' }] } });
    expect(files.map((f) => f.filename)).toEqual(['b.mp4', 'a.png']);
  });
});
