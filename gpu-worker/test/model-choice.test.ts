import { ComfyClient } from '../src/comfy/client';
import { GraphChecker } from '../src/comfy/graph-check';
import { fitModels, modelsOnHand } from '../src/comfy/model-choice';
import { animateDiffValues, buildAnimateDiffGraph, buildSvdGraph, loadWorkflow, svdValues } from '../src/comfy/workflows';
import { resolveTierParams } from '@vidgen/contract';
import { startSim } from './support/comfy';

const animatediff = loadWorkflow('animatediff');
const svd = loadWorkflow('svd');
const request = { prompt: 'a kite over dunes', seed: 7 };

function animateDiffGraph(detailStrength?: number) {
  return buildAnimateDiffGraph(animatediff, animateDiffValues(resolveTierParams('animatediff', {}), request, 'vidgen/x-a0', detailStrength));
}

describe('fitting the graphs to the models ComfyUI has', () => {
  const all = { motionModules: ['mm_sd_v15_v2.ckpt', 'v3_sd15_mm.ckpt'], loras: ['add_detail.safetensors'], vaes: ['sdxl_vae.safetensors'] };

  it('keeps every model of the seed when all are present: v3, the detail LoRA, the SDXL VAE', () => {
    const graph = fitModels(animateDiffGraph(), all);
    expect(graph['2']!.inputs).toMatchObject({ model_name: 'v3_sd15_mm.ckpt', model: ['10', 0] });
    expect(graph['10']!.inputs).toMatchObject({ lora_name: 'add_detail.safetensors', strength_model: 0.5, strength_clip: 0.5 });
    const still = fitModels(buildSvdGraph(svd, svdValues(resolveTierParams('svd', {}), request, 'p', null), 'text'), all);
    expect(Object.values(still).find((node) => node.class_type === 'VAEDecode' && node.inputs.samples?.toString() === '14,0')!.inputs.vae).toEqual(['16', 0]);
  });

  it('falls back to the v2 motion module, and bypasses an absent or zero-strength LoRA and an absent VAE', () => {
    const fitted = fitModels(animateDiffGraph(), { motionModules: ['mm_sd_v15_v2.ckpt'], loras: [], vaes: [] });
    expect(fitted['2']!.inputs).toMatchObject({ model_name: 'mm_sd_v15_v2.ckpt', model: ['1', 0] });
    expect(fitted['3']!.inputs.clip).toEqual(['1', 1]);
    expect(fitted['10']).toBeUndefined();
    expect(fitModels(animateDiffGraph(0), all)['10']).toBeUndefined();
    const still = fitModels(buildSvdGraph(svd, svdValues(resolveTierParams('svd', {}), request, 'p', null), 'text'), { ...all, vaes: [] });
    expect(still['16']).toBeUndefined();
    expect(still['15']!.inputs.vae).toEqual(['10', 2]);
  });

  it('SVD is conditioned on the frame rate it is written at', () => {
    const graph = buildSvdGraph(svd, svdValues(resolveTierParams('svd', {}), request, 'p', 'ref.png'), 'image');
    expect(graph['3']!.inputs.fps).toBe(graph['7']!.inputs.frame_rate);
  });

  it.each([
    ['every model present', []],
    ['without v3', ['v3_sd15_mm.ckpt']],
    ['without the LoRA and the VAE', ['add_detail.safetensors', 'sdxl_vae.safetensors']],
  ])('the simulator (its node definitions and model lists) accepts the fitted graphs: %s', async (_name, absentModels) => {
    const sim = await startSim({ absentModels });
    try {
      const client = new ComfyClient(sim.url);
      const onHand = await modelsOnHand(client);
      const checker = new GraphChecker(client);
      await expect(checker.check(fitModels(animateDiffGraph(), onHand))).resolves.toBeUndefined();
      await expect(checker.check(fitModels(buildSvdGraph(svd, svdValues(resolveTierParams('svd', {}), request, 'p', null), 'text'), onHand))).resolves.toBeUndefined();
    } finally {
      await sim.close();
    }
  });
});
