import { z } from 'zod';

export const TierSchema = z.enum(['veo', 'animatediff', 'svd']).describe('A generation tier, tried in this order by `auto`.');
export type Tier = z.infer<typeof TierSchema>;

export const ModelChoiceSchema = z.enum(['auto', 'veo', 'animatediff', 'svd']);
export type ModelChoice = z.infer<typeof ModelChoiceSchema>;

export const BackendSchema = z.enum(['gemini', 'comfyui', 'replicate']).describe('Where an attempt at a tier runs.');
export type Backend = z.infer<typeof BackendSchema>;

export const AspectRatioSchema = z.enum(['16:9', '9:16', '1:1']);
export type AspectRatio = z.infer<typeof AspectRatioSchema>;

/** Sampler steps of the diffusion tiers (AnimateDiff, SVD), on our workers and on Replicate alike. */
export const DEFAULT_SAMPLER_STEPS = 20;

/** The order `auto` tries tiers in. */
export const AUTO_PLAN: readonly Tier[] = ['veo', 'animatediff', 'svd'];

interface TierSpec {
  /** Frame sizes per aspect ratio; an absent ratio is not offered by the tier. */
  sizes: Partial<Record<AspectRatio, { width: number; height: number }>>;
  defaultAspectRatio: AspectRatio;
  /** Durations the tier can make in one generation, in seconds. */
  durations: { kind: 'set'; values: number[] } | { kind: 'range'; min: number; max: number };
  /** Longer clips by extending a generated one, segment by segment (Veo 3.1). */
  extension?: { segmentSeconds: number; maxSeconds: number };
  defaultDurationSeconds: number;
  fps: number;
  /** Frames for a duration; tiers with a fixed frame budget cap it here. */
  frameCount(durationSeconds: number): number;
  defaultBackend: Backend;
  /** Sampler steps for the ComfyUI tiers. */
  steps?: number;
  cfg?: number;
}

export const TIER_SPECS: Record<Tier, TierSpec> = {
  veo: {
    sizes: { '16:9': { width: 1280, height: 720 }, '9:16': { width: 720, height: 1280 } },
    defaultAspectRatio: '16:9',
    durations: { kind: 'set', values: [4, 6, 8] },
    extension: { segmentSeconds: 7, maxSeconds: 148 },
    defaultDurationSeconds: 8,
    fps: 24,
    frameCount: (d) => d * 24,
    defaultBackend: 'gemini',
  },
  animatediff: {
    sizes: {
      '1:1': { width: 512, height: 512 },
      '16:9': { width: 768, height: 432 },
      '9:16': { width: 432, height: 768 },
    },
    defaultAspectRatio: '1:1',
    durations: { kind: 'range', min: 1, max: 4 },
    defaultDurationSeconds: 3,
    fps: 8,
    frameCount: (d) => Math.round(d * 8),
    defaultBackend: 'comfyui',
    steps: DEFAULT_SAMPLER_STEPS,
    cfg: 7.5,
  },
  svd: {
    sizes: {
      '16:9': { width: 1024, height: 576 },
      '9:16': { width: 576, height: 1024 },
      '1:1': { width: 768, height: 768 },
    },
    defaultAspectRatio: '16:9',
    durations: { kind: 'range', min: 1, max: 3 },
    defaultDurationSeconds: 3,
    fps: 8,
    frameCount: (d) => Math.min(25, Math.round(d * 8) + 1),
    defaultBackend: 'comfyui',
    steps: DEFAULT_SAMPLER_STEPS,
    cfg: 2.5,
  },
};

/** What one tier will make for a request: resolved once, used by dispatch, worker and providers alike. */
export interface TierParams {
  tier: Tier;
  width: number;
  height: number;
  aspectRatio: AspectRatio;
  durationSeconds: number;
  frameCount: number;
  fps: number;
  steps?: number;
  cfg?: number;
}

function longestSingle(spec: TierSpec): number {
  return spec.durations.kind === 'set' ? Math.max(...spec.durations.values) : spec.durations.max;
}

/**
 * Whether a Veo model extends videos: Veo 3.1 and Veo 3.1 Fast do (Gemini API docs, "Extending Veo
 * videos"; Vertex's model pages list extension for the same two); Veo 3.1 Lite, Veo 3 and Veo 2
 * make one generation only. An unknown model is taken not to.
 */
export function veoModelExtends(model: string): boolean {
  return /^(models\/)?veo-3\.1-(fast-)?generate-/.test(model.trim());
}

/** What the deployment's configuration changes in what the tiers offer. */
export interface PlanContext {
  /** The Veo model in use (`VEO_MODEL`): without extension, Veo offers one generation's durations only. */
  veoModel: string;
}

/** The spec as this deployment offers it: Veo without its extension when the model cannot extend. */
function offeredSpec(tier: Tier, context?: PlanContext): TierSpec {
  const spec = TIER_SPECS[tier];
  if (tier !== 'veo' || !context || veoModelExtends(context.veoModel)) return spec;
  const { extension: _dropped, ...single } = spec;
  return single;
}

function describeDurations(spec: TierSpec): string {
  const single = spec.durations.kind === 'set'
    ? `${spec.durations.values.join(', ')} s`
    : `${spec.durations.min}-${spec.durations.max} s`;
  return spec.extension ? `${single}, or ${longestSingle(spec) + 1}-${spec.extension.maxSeconds} s by extension` : single;
}

function acceptsDuration(spec: TierSpec, d: number): boolean {
  const single = spec.durations.kind === 'set'
    ? spec.durations.values.includes(d)
    : d >= spec.durations.min && d <= spec.durations.max;
  return single || (spec.extension !== undefined && d > longestSingle(spec) && d <= spec.extension.maxSeconds);
}

/**
 * How a tier makes a clip of `durationSeconds`: one generation of `baseSeconds`, then `extensions`
 * extensions, the result trimmed to the duration asked for.
 */
export function segmentPlan(tier: Tier, durationSeconds: number): { baseSeconds: number; extensions: number } {
  const spec = TIER_SPECS[tier];
  const longest = longestSingle(spec);
  if (!spec.extension || durationSeconds <= longest) return { baseSeconds: durationSeconds, extensions: 0 };
  return { baseSeconds: longest, extensions: Math.ceil((durationSeconds - longest) / spec.extension.segmentSeconds) };
}

/**
 * Why a tier cannot serve a request, as `field: rule` sentences; empty when it can. Without a
 * context, every tier as {@link TIER_SPECS} describes it (Veo with extension).
 */
export function tierRefusals(tier: Tier, request: { aspectRatio?: AspectRatio; durationSeconds?: number }, context?: PlanContext): string[] {
  const spec = offeredSpec(tier, context);
  const refusals: string[] = [];
  if (request.aspectRatio && !spec.sizes[request.aspectRatio]) {
    const offered = Object.keys(spec.sizes).join(', ');
    refusals.push(`aspectRatio: ${tier} offers ${offered}, not ${request.aspectRatio}`);
  }
  const d = request.durationSeconds;
  if (d !== undefined) {
    if (!acceptsDuration(spec, d)) {
      const lostToModel = context !== undefined && spec !== TIER_SPECS[tier] && acceptsDuration(TIER_SPECS[tier], d);
      const why = lostToModel ? ` (its model here, ${context.veoModel}, cannot extend a video)` : '';
      refusals.push(`durationSeconds: ${tier} makes ${describeDurations(spec)}${why}, not ${d} s`);
    }
  }
  return refusals;
}

/** Resolves the concrete output of a tier for a request the tier accepts (see {@link tierRefusals}). */
export function resolveTierParams(tier: Tier, request: { aspectRatio?: AspectRatio; durationSeconds?: number }): TierParams {
  const spec = TIER_SPECS[tier];
  const aspectRatio = request.aspectRatio ?? spec.defaultAspectRatio;
  const size = spec.sizes[aspectRatio];
  if (!size) throw new Error(`${tier} has no size for aspect ratio ${aspectRatio}`);
  const durationSeconds = request.durationSeconds ?? spec.defaultDurationSeconds;
  const frameCount = spec.frameCount(durationSeconds);
  return {
    tier,
    ...size,
    aspectRatio,
    durationSeconds: frameCount / spec.fps,
    frameCount,
    fps: spec.fps,
    ...(spec.steps !== undefined ? { steps: spec.steps } : {}),
    ...(spec.cfg !== undefined ? { cfg: spec.cfg } : {}),
  };
}

/**
 * The tiers a job will try, in order. `auto` keeps the tiers of {@link AUTO_PLAN} that accept the
 * request; a named tier is the whole plan. Returns the refusals when no tier accepts it. The
 * context is the deployment's (see {@link PlanContext}): a Veo model that cannot extend leaves Veo
 * out of `auto` for longer clips, and refuses them when Veo is named.
 */
export function planFor(
  model: ModelChoice,
  request: { aspectRatio?: AspectRatio; durationSeconds?: number },
  context?: PlanContext,
): { ok: true; plan: Tier[] } | { ok: false; refusals: string[] } {
  const candidates = model === 'auto' ? AUTO_PLAN : [model];
  const refusals = candidates.flatMap((tier) => tierRefusals(tier, request, context));
  const plan = candidates.filter((tier) => tierRefusals(tier, request, context).length === 0);
  return plan.length > 0 ? { ok: true, plan } : { ok: false, refusals };
}
