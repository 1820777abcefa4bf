import type { ComfyClient, Graph } from './client';
import { isLink } from './workflows';

/** The model files ComfyUI lists in the folders our graphs may fall back in. */
export interface ModelsOnHand {
  motionModules: string[];
  loras: string[];
  vaes: string[];
}

/** AnimateDiff motion modules, preferred first: v3, else v2 (both SD1.5, both fit the graph's 16-frame window). */
export const MOTION_MODULES = ['v3_sd15_mm.ckpt', 'mm_sd_v15_v2.ckpt'] as const;

/** Asks ComfyUI which models it has (`GET /models/{folder}`, the lists its loaders validate against). */
export async function modelsOnHand(client: ComfyClient): Promise<ModelsOnHand> {
  const [motionModules, loras, vaes] = await Promise.all([client.models('animatediff_models'), client.models('loras'), client.models('vae')]);
  return { motionModules, loras, vaes };
}

/**
 * Fits a graph to the models ComfyUI has: the motion module falls back from v3 to v2; the detail
 * LoRA is bypassed when absent or at strength 0; the SDXL VAE gives way to the checkpoint's own.
 * Anything else missing stays, for the model check to report.
 */
export function fitModels(template: Graph, onHand: ModelsOnHand): Graph {
  let graph = structuredClone(template);
  for (const [id, node] of Object.entries(template)) {
    const inputs = node.inputs;
    if (node.class_type === 'ADE_AnimateDiffLoaderGen1' && !onHand.motionModules.includes(String(inputs.model_name))) {
      const fallback = MOTION_MODULES.find((name) => onHand.motionModules.includes(name));
      if (fallback) graph[id]!.inputs.model_name = fallback;
    }
    if (node.class_type === 'LoraLoader' && (!onHand.loras.includes(String(inputs.lora_name)) || (inputs.strength_model === 0 && inputs.strength_clip === 0))) {
      graph = bypass(graph, id, [inputs.model, inputs.clip]);
    }
    if (node.class_type === 'VAELoader' && !onHand.vaes.includes(String(inputs.vae_name))) {
      const checkpoints = Object.keys(graph).filter((other) => graph[other]!.class_type === 'CheckpointLoaderSimple');
      if (checkpoints.length === 1) graph = bypass(graph, id, [[checkpoints[0]!, 2]]);
    }
  }
  return graph;
}

/** Removes a node, pointing each link to its output `i` at `through[i]` (a pass-through node such as a LoRA). */
function bypass(graph: Graph, nodeId: string, through: unknown[]): Graph {
  const copy = structuredClone(graph);
  delete copy[nodeId];
  for (const node of Object.values(copy)) {
    for (const [input, value] of Object.entries(node.inputs)) {
      if (isLink(value) && value[0] === nodeId) node.inputs[input] = through[value[1]];
    }
  }
  return copy;
}
