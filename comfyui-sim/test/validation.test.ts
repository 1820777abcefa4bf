import type { ComfySimulator } from '../src/simulator';
import { animateDiffGraph, getJson, postJson, startSim, vectors } from './support/sim-client';

type Body = { error: Record<string, unknown>; node_errors: Record<string, { errors: Array<Record<string, unknown>>; dependent_outputs: string[]; class_type: string }> };

describe('POST /prompt validation', () => {
  let sim: ComfySimulator;

  beforeAll(async () => {
    sim = await startSim();
  });

  afterAll(async () => {
    await sim.close();
  });

  const post = async (prompt: unknown) => {
    const { status, body } = await postJson(sim, '/prompt', { prompt, client_id: 'validation' });
    return { status, body: body as Body };
  };

  const firstError = (body: Body, nodeId: string) => body.node_errors[nodeId]?.errors[0];

  it('reproduces post_prompt_400_missing_input', async () => {
    const graph = animateDiffGraph();
    delete graph['6']?.inputs.steps;
    const { status, body } = await post(graph);
    expect(status).toBe(400);
    expect(body).toEqual(vectors.post_prompt_400_missing_input);
  });

  it('reproduces post_prompt_400_missing_model when the checkpoint folder is empty', async () => {
    const empty = await startSim({ models: { checkpoints: [] } });
    try {
      const { status, body } = await postJson(empty, '/prompt', vectors.post_prompt_request);
      expect(status).toBe(400);
      expect(body).toEqual(vectors.post_prompt_400_missing_model);
    } finally {
      await empty.close();
    }
  });

  it('reproduces post_prompt_400_unknown_node when AnimateDiff is not installed', async () => {
    const bare = await startSim({ absentNodes: ['ADE_AnimateDiffLoaderGen1'] });
    try {
      const { status, body } = await postJson(bare, '/prompt', vectors.post_prompt_request);
      expect(status).toBe(400);
      expect(body).toEqual(vectors.post_prompt_400_unknown_node);
      expect(await getJson(bare, '/object_info/ADE_AnimateDiffLoaderGen1')).toEqual({});
    } finally {
      await bare.close();
    }
  });

  it('lists an absent model file as missing, the rest as present', async () => {
    const partial = await startSim({ absentModels: ['v3_sd15_mm.ckpt'] });
    try {
      const { status, body } = await postJson(partial, '/prompt', vectors.post_prompt_request);
      expect(status).toBe(400);
      expect(firstError(body as Body, '2')).toMatchObject({ type: 'value_not_in_list', details: "model_name: 'v3_sd15_mm.ckpt' not in ['mm_sd_v15_v2.ckpt']" });
    } finally {
      await partial.close();
    }
  });

  it('enforces min and max with ComfyUI messages, after coercion', async () => {
    const graph = animateDiffGraph();
    Object.assign(graph['6']?.inputs ?? {}, { steps: '0', cfg: -1 });
    Object.assign(graph['5']?.inputs ?? {}, { batch_size: 5000 });
    const { status, body } = await post(graph);
    expect(status).toBe(400);
    expect(body.error).toEqual({ type: 'prompt_outputs_failed_validation', message: 'Prompt outputs failed validation', details: '', extra_info: {} });
    expect(body.node_errors['6']?.errors.map((e) => [e.type, e.message, e.details])).toEqual([
      ['value_smaller_than_min', 'Value 0 smaller than min of 1', 'steps'],
      ['value_smaller_than_min', 'Value -1.0 smaller than min of 0.0', 'cfg'],
    ]);
    expect(firstError(body, '5')).toMatchObject({ type: 'value_bigger_than_max', message: 'Value 5000 bigger than max of 4096', extra_info: { input_name: 'batch_size', received_value: 5000 } });
    expect(body.node_errors['5']?.dependent_outputs).toEqual(['9']);
  });

  it('shows long combo lists by length only', async () => {
    const graph = animateDiffGraph();
    (graph['6'] as { inputs: Record<string, unknown> }).inputs.sampler_name = 'warp_drive';
    const { body } = await post(graph);
    expect(firstError(body, '6')).toEqual({
      type: 'value_not_in_list',
      message: 'Value not in list',
      details: "sampler_name: 'warp_drive' not in (list of length 42)",
      extra_info: { input_name: 'sampler_name', input_config: null, received_value: 'warp_drive' },
    });
  });

  it('reports invalid input types, type mismatches and links to missing nodes', async () => {
    const graph = animateDiffGraph();
    Object.assign(graph['6']?.inputs ?? {}, { seed: 'abc', positive: ['1', 1] });
    Object.assign(graph['8']?.inputs ?? {}, { vae: ['42', 0] });
    const { body } = await post(graph);
    expect(body.node_errors['6']?.errors.map((e) => [e.type, e.details])).toEqual([
      ['invalid_input_type', "seed, abc, invalid literal for int() with base 10: 'abc'"],
      ['return_type_mismatch', 'positive, received_type(CLIP) mismatch input_type(CONDITIONING)'],
    ]);
    expect(firstError(body, '8')).toMatchObject({ type: 'exception_during_inner_validation', details: "'42'" });
  });

  it('fails LoadImage on a file that is not in the input folder', async () => {
    const graph = {
      '1': { class_type: 'LoadImage', inputs: { image: 'nowhere.png' } },
      '2': { class_type: 'SaveAnimatedWEBP', inputs: { images: ['1', 0], filename_prefix: 'x', fps: 6, lossless: false, quality: 80, method: 'default' } },
    };
    const { status, body } = await post(graph);
    expect(status).toBe(400);
    expect(body.error.details).toBe('');
    expect(body.node_errors['1']).toEqual({
      errors: [{ type: 'custom_validation_failed', message: 'Custom validation failed for node', details: 'image - Invalid image file: nowhere.png', extra_info: { input_name: 'image' } }],
      dependent_outputs: ['2'],
      class_type: 'LoadImage',
    });
  });

  it('answers the prompt-level errors', async () => {
    expect((await postJson(sim, '/prompt', { client_id: 'x' })).body).toEqual({
      error: { type: 'no_prompt', message: 'No prompt provided', details: 'No prompt provided', extra_info: {} },
      node_errors: {},
    });
    const noOutputs = animateDiffGraph();
    delete noOutputs['9'];
    expect((await post(noOutputs)).body).toEqual({ error: { type: 'prompt_no_outputs', message: 'Prompt has no outputs', details: '', extra_info: {} }, node_errors: {} });
    expect((await post({ '1': { inputs: {} } })).body.error).toEqual({
      type: 'invalid_prompt',
      message: 'Cannot execute because a node is missing the class_type property.',
      details: "Node ID '#1'",
      extra_info: {},
    });
  });

  it('answers a body that is not JSON with 500', async () => {
    const response = await fetch(`${sim.url}/prompt`, { method: 'POST', body: '{"prompt": ' });
    expect(response.status).toBe(500);
  });

  it('ignores extra inputs and coerces widget values in the stored graph', async () => {
    const graph = animateDiffGraph({ frames: 2, steps: 1, size: 64, prefix: 'coerced' });
    Object.assign(graph['6']?.inputs ?? {}, { seed: '77', not_an_input: 'ignored' });
    const { status, body } = await postJson(sim, '/prompt', { prompt: graph, front: true });
    expect(status).toBe(200);
    const queue = await getJson<{ queue_running: unknown[][]; queue_pending: unknown[][] }>(sim, '/queue');
    const item = [...queue.queue_running, ...queue.queue_pending].find((entry) => entry[1] === (body as { prompt_id: string }).prompt_id);
    expect(item && (item[2] as Record<string, { inputs: Record<string, unknown> }>)['6']?.inputs.seed).toBe(77);
  });
});
