import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { DEFAULT_NEGATIVE_PROMPT, DEFAULT_SAMPLER_STEPS, type Tier, type TierParams } from '@vidgen/contract';
import type { Graph } from './client';

/** Where each named parameter lives in a template: [node id, input name]. */
const ParamMapSchema = z.record(z.string(), z.tuple([z.string(), z.string()]));
const GraphSchema = z.record(z.string(), z.object({ class_type: z.string(), inputs: z.record(z.string(), z.unknown()), _meta: z.object({ title: z.string().optional() }).optional() }));

export interface Workflow {
  tier: Tier;
  template: Graph;
  params: Record<string, [string, string]>;
}

export const WORKFLOWS_DIR = join(__dirname, '..', '..', 'workflows');

/** Loads an API-format template and its parameter map, checking that every mapped input exists. */
export function loadWorkflow(tier: Tier, dir: string = WORKFLOWS_DIR): Workflow {
  const template = GraphSchema.parse(JSON.parse(readFileSync(join(dir, `${tier}.json`), 'utf8')));
  const params = ParamMapSchema.parse(JSON.parse(readFileSync(join(dir, `${tier}.params.json`), 'utf8')));
  for (const [name, [nodeId, input]] of Object.entries(params)) {
    if (!template[nodeId] || !Object.hasOwn(template[nodeId].inputs, input)) {
      throw new Error(`${tier}.params.json: ${name} points at ${nodeId}.${input}, which ${tier}.json does not have`);
    }
  }
  return { tier, template, params };
}

export type WorkflowValues = Record<string, string | number | boolean>;

/** A copy of the template with values set on the mapped inputs; values never pass through the JSON text. */
export function buildGraph(workflow: Workflow, values: WorkflowValues): Graph {
  const graph = structuredClone(workflow.template);
  for (const [name, value] of Object.entries(values)) {
    const target = workflow.params[name];
    if (!target) throw new Error(`The ${workflow.tier} workflow has no parameter ${name}`);
    const [nodeId, input] = target;
    graph[nodeId]!.inputs[input] = value;
  }
  return graph;
}

/** Links are `[nodeId, outputIndex]` pairs. */
export function isLink(value: unknown): value is [string, number] {
  return Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'number';
}

/** Removes a node and every input that links to it (an optional input such as context options). */
export function withoutNode(graph: Graph, nodeId: string): Graph {
  const copy = structuredClone(graph);
  delete copy[nodeId];
  for (const node of Object.values(copy)) {
    for (const [input, value] of Object.entries(node.inputs)) {
      if (isLink(value) && value[0] === nodeId) delete node.inputs[input];
    }
  }
  return copy;
}

/** The AnimateDiff v3 motion module handles this many frames in one window; more need context options. */
const ANIMATEDIFF_WINDOW = 16;

/** The detail LoRA's default strength on model and CLIP; 0 bypasses it (see fitModels). */
export const DETAIL_LORA_STRENGTH = 0.5;

export function animateDiffValues(
  params: TierParams,
  request: { prompt: string; negativePrompt?: string; seed: number },
  filenamePrefix: string,
  detailStrength: number = DETAIL_LORA_STRENGTH,
): WorkflowValues {
  return {
    detailStrength,
    detailStrengthClip: detailStrength,
    prompt: request.prompt,
    negativePrompt: request.negativePrompt ?? DEFAULT_NEGATIVE_PROMPT,
    width: params.width,
    height: params.height,
    frameCount: params.frameCount,
    seed: request.seed,
    steps: params.steps ?? DEFAULT_SAMPLER_STEPS,
    cfg: params.cfg ?? 7.5,
    fps: params.fps,
    filenamePrefix,
  };
}

/** The AnimateDiff graph for these parameters; the context window is dropped when the clip fits one window. */
export function buildAnimateDiffGraph(workflow: Workflow, values: WorkflowValues): Graph {
  const graph = buildGraph(workflow, values);
  if (Number(values.frameCount) > ANIMATEDIFF_WINDOW) return graph;
  const contextNodes = Object.keys(graph).filter((id) => graph[id]!.class_type === 'ADE_StandardStaticContextOptions');
  return contextNodes.reduce(withoutNode, graph);
}

/** A link whose node is not in the graph: ComfyUI would refuse the prompt with a KeyError. */
export interface DanglingLink {
  /** The node holding the link. */
  nodeId: string;
  input: string;
  /** The node the link names, which the graph lacks. */
  target: string;
}

/** Every input in the graph that links to a node the graph does not have; empty for a sound graph. */
export function danglingLinks(graph: Graph): DanglingLink[] {
  const found: DanglingLink[] = [];
  for (const [nodeId, node] of Object.entries(graph)) {
    for (const [input, value] of Object.entries(node.inputs)) {
      if (isLink(value) && !Object.hasOwn(graph, value[0])) found.push({ nodeId, input, target: value[0] });
    }
  }
  return found;
}

/** Classes that write a workflow's result: ComfyUI runs only what these need. */
const OUTPUT_CLASSES = new Set(['VHS_VideoCombine', 'SaveVideo', 'SaveAnimatedWEBP', 'SaveWEBM', 'SaveImage']);

/** The given nodes and everything they link to, directly or not. */
function upstreamOf(graph: Graph, ids: string[]): Set<string> {
  const seen = new Set<string>();
  const stack = [...ids];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (seen.has(id) || !graph[id]) continue;
    seen.add(id);
    for (const value of Object.values(graph[id].inputs)) if (isLink(value)) stack.push(value[0]);
  }
  return seen;
}

function nodesOfClass(graph: Graph, classType: string): string[] {
  return Object.keys(graph).filter((id) => graph[id]!.class_type === classType);
}

function theNode(graph: Graph, classType: string, tier: string): string {
  const ids = nodesOfClass(graph, classType);
  if (ids.length !== 1) throw new Error(`The ${tier} workflow needs exactly one ${classType} node, not ${ids.length}`);
  return ids[0]!;
}

/** Where the SVD clip starts from: an uploaded reference image, or a still made from the prompt. */
export type SvdMode = 'image' | 'text';

/** SVD XT 1.1 trained on this motion bucket; higher moves more. */
const SVD_MOTION_BUCKET = 127;

/**
 * Values for the SVD template. The prompt only drives the text-to-image still (SVD itself takes
 * no text); the still is made at the video's size. `referenceImageName` is the name
 * `/upload/image` returned, or null when the clip starts from the prompt.
 */
export function svdValues(
  params: TierParams,
  request: { prompt: string; negativePrompt?: string; seed: number },
  filenamePrefix: string,
  referenceImageName: string | null,
): WorkflowValues {
  const values: WorkflowValues = {
    prompt: request.prompt,
    negativePrompt: request.negativePrompt ?? DEFAULT_NEGATIVE_PROMPT,
    width: params.width,
    height: params.height,
    stillWidth: params.width,
    stillHeight: params.height,
    frameCount: params.frameCount,
    motionBucketId: SVD_MOTION_BUCKET,
    seed: request.seed,
    stillSeed: request.seed,
    steps: params.steps ?? DEFAULT_SAMPLER_STEPS,
    cfg: params.cfg ?? 2.5,
    fps: params.fps,
    // SVD's micro-conditioning: the frame rate the clip is meant to play at, which is the one we write.
    conditioningFps: params.fps,
    filenamePrefix,
  };
  if (referenceImageName !== null) values.referenceImage = referenceImageName;
  return values;
}

/**
 * The SVD graph for one mode. The template holds both starts: `image` feeds the conditioning from
 * LoadImage, `text` from the text-to-image branch's decoded still (the VAEDecode that no output
 * uses). Whatever no output node needs afterwards (the other start) is removed with its links.
 */
export function buildSvdGraph(workflow: Workflow, values: WorkflowValues, mode: SvdMode): Graph {
  if (mode === 'image' && typeof values.referenceImage !== 'string') {
    throw new Error('The image-to-video SVD graph needs referenceImage: the name /upload/image returned');
  }
  const graph = buildGraph(workflow, values);
  const conditioning = theNode(graph, 'SVD_img2vid_Conditioning', workflow.tier);
  const outputs = Object.keys(graph).filter((id) => OUTPUT_CLASSES.has(graph[id]!.class_type));
  if (outputs.length === 0) throw new Error(`The ${workflow.tier} workflow has no output node`);

  if (mode === 'image') {
    graph[conditioning]!.inputs.init_image = [theNode(graph, 'LoadImage', workflow.tier), 0];
  } else {
    const videoBranch = upstreamOf(graph, outputs);
    const stills = nodesOfClass(graph, 'VAEDecode').filter((id) => !videoBranch.has(id));
    if (stills.length !== 1) throw new Error(`The ${workflow.tier} workflow needs exactly one still VAEDecode outside the video branch, not ${stills.length}`);
    graph[conditioning]!.inputs.init_image = [stills[0]!, 0];
  }

  const needed = upstreamOf(graph, outputs);
  const result = Object.keys(graph).filter((id) => !needed.has(id)).reduce(withoutNode, graph);
  const dangling = danglingLinks(result);
  if (dangling.length > 0) {
    throw new Error(`The ${workflow.tier} graph has links to missing nodes: ${dangling.map((d) => `${d.nodeId}.${d.input} -> ${d.target}`).join(', ')}`);
  }
  return result;
}
