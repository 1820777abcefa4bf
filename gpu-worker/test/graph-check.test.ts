import type { ComfySimulator } from '../../comfyui-sim/src/simulator';
import { ComfyClient } from '../src/comfy/client';
import { GraphChecker } from '../src/comfy/graph-check';
import { rejectsWithCode, smallGraph, startSim } from './support/comfy';

describe('GraphChecker against the simulator', () => {
  let sim: ComfySimulator;
  let noNode: ComfySimulator;
  let noModel: ComfySimulator;

  beforeAll(async () => {
    [sim, noNode, noModel] = await Promise.all([
      startSim(),
      startSim({ absentNodes: ['ADE_AnimateDiffLoaderGen1'] }),
      startSim({ absentModels: ['v3_sd15_mm.ckpt'] }),
    ]);
  });
  afterAll(() => Promise.all([sim, noNode, noModel].map((s) => s?.close())));

  it('passes the built graph, short and long (with context options)', async () => {
    const checker = new GraphChecker(new ComfyClient(sim.url));
    await expect(checker.check(smallGraph())).resolves.toBeUndefined();
    await expect(checker.check(smallGraph({ frameCount: 24 }))).resolves.toBeUndefined();
    const report = await checker.inspect(smallGraph({ frameCount: 24 }));
    expect(report).toEqual({ missingNodes: [], missingModels: [], missingImages: [], modelsPresent: expect.any(Array), invalid: [] });
  });

  it('reports the models it found', async () => {
    const report = await new GraphChecker(new ComfyClient(sim.url)).inspect(smallGraph());
    expect(report.modelsPresent.sort()).toEqual(['add_detail.safetensors', 'v1-5-pruned-emaonly.safetensors', 'v3_sd15_mm.ckpt']);
    expect(report.missingModels).toEqual([]);
  });

  it('a missing custom node is comfyui_node_missing', async () => {
    const checker = new GraphChecker(new ComfyClient(noNode.url));
    const error = await rejectsWithCode(checker.check(smallGraph()), 'comfyui_node_missing');
    expect(error.message).toContain('ADE_AnimateDiffLoaderGen1');
    const report = await checker.inspect(smallGraph());
    expect(report.missingNodes).toEqual(['ADE_AnimateDiffLoaderGen1']);
  });

  it('a missing model is comfyui_model_missing', async () => {
    const checker = new GraphChecker(new ComfyClient(noModel.url));
    const error = await rejectsWithCode(checker.check(smallGraph()), 'comfyui_model_missing');
    expect(error.message).toContain('v3_sd15_mm.ckpt');
    const report = await checker.inspect(smallGraph());
    expect(report.missingModels).toEqual(['ADE_AnimateDiffLoaderGen1.model_name: v3_sd15_mm.ckpt']);
    expect(report.modelsPresent).toEqual(['v1-5-pruned-emaonly.safetensors', 'add_detail.safetensors']);
  });

  it('a value out of range is comfyui_workflow_invalid', async () => {
    const checker = new GraphChecker(new ComfyClient(sim.url));
    const error = await rejectsWithCode(checker.check(smallGraph({ steps: 0 })), 'comfyui_workflow_invalid');
    expect(error.message).toMatch(/KSampler\.steps: 0 is below the minimum 1/);
    await rejectsWithCode(checker.check(smallGraph({ width: 8 })), 'comfyui_workflow_invalid');
  });

  it('a missing required input and an unoffered combo value are comfyui_workflow_invalid', async () => {
    const checker = new GraphChecker(new ComfyClient(sim.url));
    const graph = smallGraph();
    delete graph['6']!.inputs.steps;
    graph['6']!.inputs.sampler_name = 'no_such_sampler';
    const report = await checker.inspect(graph);
    expect(report.invalid).toEqual(expect.arrayContaining(['6 KSampler: steps is required', expect.stringMatching(/KSampler\.sampler_name: "no_such_sampler" is not offered/)]));
    await rejectsWithCode(checker.check(graph), 'comfyui_workflow_invalid');
  });

  it('an unreachable ComfyUI is comfyui_unreachable', async () => {
    const checker = new GraphChecker(new ComfyClient('http://127.0.0.1:1'));
    await rejectsWithCode(checker.check(smallGraph()), 'comfyui_unreachable');
  });
});
