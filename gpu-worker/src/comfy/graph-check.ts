import type { ComfyClient, Graph, ObjectInfoNode } from './client';
import { ComfyError } from './errors';
import { isLink } from './workflows';

const CACHE_MS = 60_000;
/** Nodes whose choices list uploaded files: a cached answer would not know an image uploaded since. */
const UPLOAD_DEPENDENT = new Set(['LoadImage']);

/**
 * Checks a graph against the server's own `/object_info` before it is queued, so a missing custom
 * node or model is reported with a clear code instead of a half-run prompt.
 */
export class GraphChecker {
  private cache = new Map<string, { node: ObjectInfoNode | null; at: number }>();

  constructor(private readonly client: ComfyClient) {}

  private async info(classType: string): Promise<ObjectInfoNode | null> {
    const cached = this.cache.get(classType);
    if (cached && !UPLOAD_DEPENDENT.has(classType) && Date.now() - cached.at < CACHE_MS) return cached.node;
    const node = await this.client.objectInfo(classType);
    this.cache.set(classType, { node, at: Date.now() });
    return node;
  }

  /** What of the graph this ComfyUI lacks: node classes, model files, and other values it would refuse. */
  async inspect(graph: Graph): Promise<GraphReport> {
    const report: GraphReport = { missingNodes: [], missingModels: [], missingImages: [], modelsPresent: [], invalid: [] };
    // Each node class once, all at the same time: a cold cache costs one round trip, not one per node.
    const classes = [...new Set(Object.values(graph).map((node) => node.class_type))];
    const infos = new Map(await Promise.all(classes.map(async (classType) => [classType, await this.info(classType)] as const)));
    for (const [id, node] of Object.entries(graph)) {
      const info = infos.get(node.class_type);
      if (!info) {
        if (!report.missingNodes.includes(node.class_type)) report.missingNodes.push(node.class_type);
        continue;
      }
      for (const name of Object.keys(info.input.required ?? {})) {
        if (!(name in node.inputs)) report.invalid.push(`${id} ${node.class_type}: ${name} is required`);
      }
      const specs = { ...info.input.optional, ...info.input.required };
      for (const [name, value] of Object.entries(node.inputs)) {
        const spec = specs[name];
        if (!spec || isLink(value)) continue;
        const isModel = MODEL_INPUT.test(name) && comboOptions(spec) !== null;
        const problem = checkValue(spec, value);
        if (isModel && !problem) report.modelsPresent.push(String(value));
        else if (isModel) report.missingModels.push(`${node.class_type}.${name}: ${String(value)}`);
        else if (problem && UPLOAD_DEPENDENT.has(node.class_type)) report.missingImages.push(`${node.class_type}.${name}: ${String(value)}`);
        else if (problem) report.invalid.push(`${node.class_type}.${name}: ${problem}`);
      }
    }
    return report;
  }

  /** Throws a {@link ComfyError} for the most telling kind of problem; resolves when the graph fits. */
  async check(graph: Graph): Promise<void> {
    const report = await this.inspect(graph);
    if (report.missingNodes.length > 0) {
      throw new ComfyError('node_missing', `ComfyUI lacks the custom nodes ${report.missingNodes.join(', ')}.`);
    }
    if (report.missingModels.length > 0) throw new ComfyError('model_missing', `ComfyUI is missing models: ${report.missingModels.join('; ')}.`);
    if (report.missingImages.length > 0) throw new ComfyError('input_image_missing', `ComfyUI does not have the input image: ${report.missingImages.join('; ')}.`);
    if (report.invalid.length > 0) throw new ComfyError('workflow_invalid', `The workflow does not fit this ComfyUI: ${report.invalid.join('; ')}.`);
  }
}

export interface GraphReport {
  missingNodes: string[];
  missingModels: string[];
  missingImages: string[];
  modelsPresent: string[];
  invalid: string[];
}

/** Inputs that name a model file; their combo lists are the files ComfyUI has. */
const MODEL_INPUT = /^(ckpt|model|lora|vae|unet|clip)_name$/;

/** Combo lists come as `[[...options], {...}]` (classic nodes) or `["COMBO", {options}]` (V3 nodes). */
function comboOptions(spec: unknown[]): unknown[] | null {
  if (Array.isArray(spec[0])) return spec[0];
  const config = spec[1] as { options?: unknown[] } | undefined;
  return spec[0] === 'COMBO' && Array.isArray(config?.options) ? config.options : null;
}

function checkValue(spec: unknown[], value: unknown): string | null {
  const options = comboOptions(spec);
  if (options) return options.includes(value) ? null : `${JSON.stringify(value)} is not offered`;
  const config = (spec[1] ?? {}) as { min?: number; max?: number };
  if ((spec[0] === 'INT' || spec[0] === 'FLOAT') && typeof value === 'number') {
    if (config.min !== undefined && value < config.min) return `${value} is below the minimum ${config.min}`;
    if (config.max !== undefined && value > config.max) return `${value} is above the maximum ${config.max}`;
  }
  return null;
}
