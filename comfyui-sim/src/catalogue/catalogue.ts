import { z } from 'zod';
import rawCatalogue from './catalogue.json';

/** One input's spec as object_info shows it: `[type or combo list, options]`. */
export const InputSpecSchema = z.tuple([z.unknown(), z.record(z.string(), z.unknown())]);
export type InputSpec = z.infer<typeof InputSpecSchema>;

const InputGroupSchema = z.record(z.string(), InputSpecSchema);

/** A node class as `GET /object_info` describes it. */
export const NodeDefinitionSchema = z.object({
  input: z.object({
    required: InputGroupSchema,
    optional: InputGroupSchema.optional(),
    hidden: z.record(z.string(), z.unknown()).optional(),
  }),
  input_order: z.record(z.string(), z.array(z.string())),
  output: z.array(z.string()),
  output_is_list: z.array(z.boolean()),
  output_name: z.array(z.string()),
  name: z.string(),
  display_name: z.string(),
  description: z.string(),
  python_module: z.string(),
  category: z.string(),
  output_node: z.boolean(),
  output_tooltips: z.array(z.string()).optional(),
});
export type NodeDefinition = z.infer<typeof NodeDefinitionSchema>;

/** Where the lists behind dynamic combos come from, read at request time. */
export interface CatalogueSources {
  /** Files of a model folder (checkpoints, loras, ...). */
  modelFiles(folder: string): string[];
  /** Image files at the top of the input folder, sorted. */
  inputImages(): string[];
  /** Classes to treat as not installed. */
  absentNodes?: readonly string[];
}

const MODELS_MARKER = '@models:';
const INPUT_IMAGES_MARKER = '@input_images';

let parsedDefinitions: Record<string, NodeDefinition> | undefined;

function definitions(): Record<string, NodeDefinition> {
  parsedDefinitions ??= z.record(z.string(), NodeDefinitionSchema).parse(rawCatalogue);
  return parsedDefinitions;
}

/**
 * The node classes the simulator knows, with combo lists filled from the current files.
 * catalogue.json follows the node definitions at the versions gpu-worker/Dockerfile pins:
 * KSampler's `sampler_name` is `SAMPLER_NAMES` and `scheduler` is `SCHEDULER_HANDLERS` of
 * ComfyUI 0.3.64 `comfy/samplers.py`; VHS_VideoCombine's `format` is `["image/gif", "image/webp"]`
 * plus `video/<name>` for each `video_formats/*.json` of VideoHelperSuite 8923bd8
 * (`get_video_formats` in `videohelpersuite/nodes.py`; gifski is left out, as VHS skips it when the
 * gifski binary is absent, which the image does not install), listed sorted where VHS lists them in
 * directory order.
 */
export class Catalogue {
  constructor(private readonly sources: CatalogueSources) {}

  /** Whether ComfyUI would have this node class installed. */
  has(classType: string): boolean {
    return Object.prototype.hasOwnProperty.call(definitions(), classType) && !this.sources.absentNodes?.includes(classType);
  }

  /** The resolved definition of a class, or undefined when it is unknown. */
  get(classType: string): NodeDefinition | undefined {
    if (!this.has(classType)) return undefined;
    const definition = definitions()[classType];
    return definition && this.resolve(definition);
  }

  /** Every class, resolved, keyed by name. */
  all(): Record<string, NodeDefinition> {
    const out: Record<string, NodeDefinition> = {};
    for (const [name, definition] of Object.entries(definitions())) if (this.has(name)) out[name] = this.resolve(definition);
    return out;
  }

  private resolve(definition: NodeDefinition): NodeDefinition {
    return {
      ...definition,
      input: {
        ...definition.input,
        required: this.resolveGroup(definition.input.required),
        ...(definition.input.optional ? { optional: this.resolveGroup(definition.input.optional) } : {}),
      },
    };
  }

  private resolveGroup(group: Record<string, InputSpec>): Record<string, InputSpec> {
    const out: Record<string, InputSpec> = {};
    for (const [name, [type, options]] of Object.entries(group)) {
      out[name] = [this.resolveType(type), { ...options }];
    }
    return out;
  }

  private resolveType(type: unknown): unknown {
    if (typeof type !== 'string') return type;
    if (type.startsWith(MODELS_MARKER)) return this.sources.modelFiles(type.slice(MODELS_MARKER.length));
    if (type === INPUT_IMAGES_MARKER) return this.sources.inputImages();
    return type;
  }
}
