import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveTierParams } from '@vidgen/contract';
import { animateDiffValues, buildAnimateDiffGraph, buildGraph, isLink, loadWorkflow, withoutNode, type WorkflowValues } from '../src/comfy/workflows';
import { tempDir } from '../../packages/media/test/support/media';

const VALUES: WorkflowValues = {
  prompt: 'a lighthouse at dusk, waves crashing',
  negativePrompt: 'blurry',
  width: 320,
  height: 192,
  frameCount: 12,
  seed: 424242,
  steps: 9,
  cfg: 6.5,
  fps: 12,
  filenamePrefix: 'vidgen/job-1-a0',
  detailStrength: 0.4,
  detailStrengthClip: 0.4,
};

describe('loadWorkflow / buildAnimateDiffGraph', () => {
  const workflow = loadWorkflow('animatediff');

  it('loads the shipped AnimateDiff template and its parameter map', () => {
    expect(workflow.tier).toBe('animatediff');
    expect(Object.keys(workflow.template).sort()).toEqual(['1', '10', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(workflow.template['2']?.class_type).toBe('ADE_AnimateDiffLoaderGen1');
    expect(workflow.params).toMatchObject({ prompt: ['3', 'text'], frameCount: ['5', 'batch_size'], filenamePrefix: ['9', 'filename_prefix'] });
    expect(Object.keys(workflow.params).sort()).toEqual(Object.keys(VALUES).sort());
  });

  it('injects every parameter at its mapped input', () => {
    const graph = buildAnimateDiffGraph(workflow, VALUES);
    expect(graph['3']?.inputs.text).toBe(VALUES.prompt);
    expect(graph['4']?.inputs.text).toBe(VALUES.negativePrompt);
    expect(graph['5']?.inputs).toMatchObject({ width: 320, height: 192, batch_size: 12 });
    expect(graph['6']?.inputs).toMatchObject({ seed: 424242, steps: 9, cfg: 6.5 });
    expect(graph['9']?.inputs).toMatchObject({ frame_rate: 12, filename_prefix: 'vidgen/job-1-a0' });
    // Everything else is the template's.
    expect(graph['6']?.inputs).toMatchObject({ sampler_name: 'euler_ancestral', scheduler: 'normal', denoise: 1, model: ['2', 0] });
    expect(graph['9']?.inputs).toMatchObject({ format: 'video/h264-mp4', pix_fmt: 'yuv420p', images: ['8', 0] });
  });

  it('animateDiffValues feeds the resolved tier parameters through', () => {
    const params = resolveTierParams('animatediff', {});
    const values = animateDiffValues(params, { prompt: 'p', seed: 7 }, 'prefix');
    const graph = buildAnimateDiffGraph(workflow, values);
    expect(graph['5']?.inputs).toMatchObject({ width: params.width, height: params.height, batch_size: params.frameCount });
    expect(graph['6']?.inputs.seed).toBe(7);
    expect(graph['4']?.inputs.text).toEqual(expect.stringContaining('blurry'));
    expect(graph['9']?.inputs.frame_rate).toBe(params.fps);
  });

  it('leaves the template untouched (the graph is a deep copy)', () => {
    const before = JSON.stringify(workflow.template);
    const graph = buildAnimateDiffGraph(workflow, { ...VALUES, frameCount: 24 });
    expect(JSON.stringify(workflow.template)).toBe(before);
    graph['6']!.inputs.steps = 999;
    (graph['2']!.inputs.model as unknown[])[0] = 'changed';
    graph['9']!._meta!.title = 'changed';
    expect(JSON.stringify(workflow.template)).toBe(before);
    expect(workflow.template['3']?.inputs.text).toBe('');
    // A short clip removes a node and an input: still on the copy only.
    buildAnimateDiffGraph(workflow, { ...VALUES, frameCount: 8 });
    expect(JSON.stringify(workflow.template)).toBe(before);
  });

  it.each([8, 16])('drops the context-options node and its link at %i frames', (frameCount) => {
    const graph = buildAnimateDiffGraph(workflow, { ...VALUES, frameCount });
    expect(graph['7']).toBeUndefined();
    expect(Object.values(graph).some((node) => node.class_type === 'ADE_StandardStaticContextOptions')).toBe(false);
    expect(graph['2']?.inputs).not.toHaveProperty('context_options');
    expect(graph['2']?.inputs).toMatchObject({ model: ['10', 0], model_name: 'v3_sd15_mm.ckpt', beta_schedule: 'autoselect' });
    // No dangling link to the removed node anywhere.
    for (const node of Object.values(graph)) {
      for (const value of Object.values(node.inputs)) if (isLink(value)) expect(graph[value[0]]).toBeDefined();
    }
  });

  it.each([17, 24, 64])('keeps the context-options node at %i frames', (frameCount) => {
    const graph = buildAnimateDiffGraph(workflow, { ...VALUES, frameCount });
    expect(graph['7']?.class_type).toBe('ADE_StandardStaticContextOptions');
    expect(graph['2']?.inputs.context_options).toEqual(['7', 0]);
    expect(graph['5']?.inputs.batch_size).toBe(frameCount);
  });

  it.each([
    '"}, "x": {',
    'say "hello" \\"escaped\\" and \'single\'',
    '{"class_type": "KSampler", "inputs": {}}',
    '["7", 0]',
    'line one\nline two\t\u0000 ünïcødé 🎬 </script>',
    '${prompt} {{negativePrompt}} %s',
  ])('puts a prompt verbatim into the input: %j', (prompt) => {
    const graph = buildAnimateDiffGraph(workflow, { ...VALUES, prompt, negativePrompt: prompt });
    expect(graph['3']?.inputs.text).toBe(prompt);
    expect(graph['4']?.inputs.text).toBe(prompt);
    expect(Object.keys(graph).sort()).toEqual(['1', '10', '2', '3', '4', '5', '6', '8', '9']);
    expect(Object.keys(graph['3']!.inputs).sort()).toEqual(['clip', 'text']);
    // It survives the JSON round trip to ComfyUI unchanged.
    const sent = JSON.parse(JSON.stringify({ prompt: graph })) as { prompt: typeof graph };
    expect(sent.prompt['3']?.inputs.text).toBe(prompt);
    expect(sent.prompt['6']?.inputs.steps).toBe(9);
  });

  it('throws on a parameter the workflow does not map', () => {
    expect(() => buildGraph(workflow, { ...VALUES, sampler: 'dpmpp_2m' })).toThrow(/no parameter sampler/);
    expect(() => buildAnimateDiffGraph(workflow, { bogus: 1 })).toThrow(/animatediff workflow has no parameter bogus/);
  });

  it('withoutNode removes only links to that node', () => {
    const graph = withoutNode(workflow.template, '7');
    expect(graph['7']).toBeUndefined();
    expect(graph['2']?.inputs.model).toEqual(['10', 0]);
    expect(workflow.template['2']?.inputs.context_options).toEqual(['7', 0]);
  });
});

describe('loadWorkflow from a folder', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  const template = {
    '1': { class_type: 'CLIPTextEncode', inputs: { text: '', clip: ['2', 1] } },
    '2': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'x.safetensors' } },
  };

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('workflows'));
  });
  afterAll(() => cleanup());

  function write(name: string, graph: unknown, params: unknown): string {
    const folder = join(dir, name);
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'animatediff.json'), JSON.stringify(graph));
    writeFileSync(join(folder, 'animatediff.params.json'), JSON.stringify(params));
    return folder;
  }

  it('loads a consistent template and map', () => {
    const folder = write('good', template, { prompt: ['1', 'text'], model: ['2', 'ckpt_name'] });
    const workflow = loadWorkflow('animatediff', folder);
    expect(buildGraph(workflow, { prompt: 'hi' })['1']?.inputs.text).toBe('hi');
  });

  it('throws when a mapped input does not exist', () => {
    const folder = write('bad-input', template, { prompt: ['1', 'txt'] });
    expect(() => loadWorkflow('animatediff', folder)).toThrow(/prompt points at 1\.txt/);
  });

  it('throws when a mapped node does not exist', () => {
    const folder = write('bad-node', template, { prompt: ['99', 'text'] });
    expect(() => loadWorkflow('animatediff', folder)).toThrow(/prompt points at 99\.text/);
  });

  it('throws on a malformed map or graph', () => {
    expect(() => loadWorkflow('animatediff', write('bad-map', template, { prompt: '1.text' }))).toThrow();
    expect(() => loadWorkflow('animatediff', write('bad-graph', { '1': { inputs: {} } }, {}))).toThrow();
  });

  it('throws when the files are missing', () => {
    expect(() => loadWorkflow('svd', dir)).toThrow(/ENOENT/);
  });
});
