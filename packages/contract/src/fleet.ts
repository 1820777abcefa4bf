import { z } from 'zod';
import { describeIssues } from './validation';

/** Where the GPU fleet's live settings live, beside `config/limits`. */
export const FLEET_SETTINGS_DOCUMENT = 'config/fleet';
/** What the fleet controller last decided and why, for operators. */
export const FLEET_STATE_DOCUMENT = 'fleet/state';
/**
 * Every pod the controller creates is named with this prefix, and its worker registers under the
 * same name (`WORKER_ID`): the controller rebuilds its view from RunPod's pod list each tick, so a
 * pod created by a run that crashed before recording it is still found, and pods it did not create
 * are never touched.
 */
export const FLEET_POD_PREFIX = 'vidgen-fleet-';

const count = (what: string) =>
  z.number({ error: 'must be a number' }).int({ error: 'must be a whole number' }).min(0, { error: 'must be 0 or more' }).optional().describe(what);
const positive = (what: string) =>
  z.number({ error: 'must be a number' }).int({ error: 'must be a whole number' }).positive({ error: 'must be at least 1' }).optional().describe(what);
const hour = z.number({ error: 'must be a number' }).int({ error: 'must be a whole number' }).min(0, { error: 'must be 0 to 23' }).max(23, { error: 'must be 0 to 23' });

/** What a fleet pod runs: RunPod's create body, less what the controller sets itself (name, GPU type, WORKER_ID). */
export const FleetPodTemplateSchema = z
  .object({
    image: z.string().min(1, { error: 'must not be empty' }).optional().describe('Container image of the GPU worker; or templateId.'),
    templateId: z.string().min(1, { error: 'must not be empty' }).optional().describe('A RunPod template (image, env, secrets); or image.'),
    networkVolumeId: z.string().min(1, { error: 'must not be empty' }).optional().describe('Network volume with the models, mounted at volumePath; pods are placed in its data center.'),
    volumePath: z.string().min(1, { error: 'must not be empty' }).optional().describe('Where the network volume is mounted; default /workspace.'),
    dataCenterIds: z.array(z.string().min(1), { error: 'must be a list of data center ids' }).optional().describe('Preferred data centers, in order.'),
    env: z
      .record(z.string(), z.string(), { error: 'must be a map of names to strings' })
      .optional()
      .describe('Extra environment, nothing secret (secrets belong in the RunPod template).'),
    ports: z.array(z.string(), { error: 'must be a list like ["8000/http"]' }).optional().describe('Exposed ports; default the template\'s, or ["8000/http"] with an image.'),
    diskGb: positive('Container disk in GB; default the template\'s, or 40 with an image.'),
  })
  .strict()
  .refine((template) => template.image !== undefined || template.templateId !== undefined, { error: 'needs image or templateId' });
export type FleetPodTemplate = z.infer<typeof FleetPodTemplateSchema>;

/** A higher floor for some UTC hours, so that pods are warm before a known busy period. */
export const FleetWarmHoursSchema = z
  .object({
    fromHour: hour.describe('First UTC hour (0-23) of the warm period.'),
    toHour: hour.describe('UTC hour (0-23) the warm period ends at, exclusive; below fromHour wraps past midnight.'),
    minPods: z.number({ error: 'must be a number' }).int({ error: 'must be a whole number' }).min(0, { error: 'must be 0 or more' }).describe('Pods kept during those hours.'),
  })
  .strict();
export type FleetWarmHours = z.infer<typeof FleetWarmHoursSchema>;

/**
 * `config/fleet`: how many RunPod pods the controller keeps. Every field is optional; a missing one
 * means its default in {@link FLEET_DEFAULTS} (autoscaling off, at most one pod).
 */
export const FleetSettingsSchema = z
  .object({
    enabled: z.boolean({ error: 'must be true or false' }).optional().describe('true: the controller creates and stops pods. Default false.'),
    minPods: count('Pods kept however quiet it is. Default 0.'),
    maxPods: count('Pods never exceeded, whatever the backlog. Default 1.'),
    jobsPerPod: positive("Attempts one pod runs at once (its worker's MAX_CONCURRENT_JOBS). Default 1."),
    scaleUpStep: positive('Pods added per tick at most. Default 1.'),
    scaleDownStabilisationSeconds: count('Demand must stay lower for this long before pods are drained. Default 600.'),
    gpuTypeIds: z
      .array(z.string().min(1), { error: 'must be a list of RunPod GPU type ids' })
      .optional()
      .describe('GPU types tried in order on each create. Default none (no pod can be created).'),
    template: FleetPodTemplateSchema.optional().describe('What a pod runs. Default none (no pod can be created).'),
    stopPolicy: z
      .enum(['stop', 'terminate'], { error: 'must be stop or terminate' })
      .optional()
      .describe('What a drained pod gets: stop (keeps its disk, may not get a GPU back) or terminate. Default terminate.'),
    bootTimeoutSeconds: positive('A pod whose worker has not registered (or heartbeated) for this long is replaced. Default 900.'),
    warmHours: FleetWarmHoursSchema.optional().describe('A higher minimum during some UTC hours. Default none.'),
  })
  .strict()
  .describe('GPU fleet: RunPod pods created and stopped from the backlog.');
export type FleetSettings = z.infer<typeof FleetSettingsSchema>;

/** `config/fleet` with every setting resolved. */
export interface EffectiveFleetSettings {
  enabled: boolean;
  minPods: number;
  maxPods: number;
  jobsPerPod: number;
  scaleUpStep: number;
  scaleDownStabilisationSeconds: number;
  gpuTypeIds: string[];
  template: FleetPodTemplate | null;
  stopPolicy: 'stop' | 'terminate';
  bootTimeoutSeconds: number;
  warmHours: FleetWarmHours | null;
}

/**
 * What a missing document or field means: off, and once on, one pod at most, one attempt per pod,
 * ten minutes of lower demand before a pod drains, fifteen minutes to boot and pull models.
 */
export const FLEET_DEFAULTS: EffectiveFleetSettings = {
  enabled: false,
  minPods: 0,
  maxPods: 1,
  jobsPerPod: 1,
  scaleUpStep: 1,
  scaleDownStabilisationSeconds: 600,
  gpuTypeIds: [],
  template: null,
  stopPolicy: 'terminate',
  bootTimeoutSeconds: 900,
  warmHours: null,
};

/** What {@link readFleetSettings} made of `config/fleet`. */
export interface FleetSettingsReading {
  settings: EffectiveFleetSettings;
  /** "field: rule" for every field that was invalid (its default applies instead) or unknown. */
  problems: string[];
}

function fieldProblems(field: string, error: z.ZodError): string[] {
  const own = 'request: ';
  return describeIssues(error).map((problem) => (problem.startsWith(own) ? `${field}: ${problem.slice(own.length)}` : `${field}.${problem}`));
}

/**
 * Reads `config/fleet` field by field, as `readLimits` does: a missing or invalid field takes its
 * default (an invalid one is reported in `problems`), so a typo never removes the pod cap. A
 * `minPods` above `maxPods` is reported and lowered to it.
 */
export function readFleetSettings(data: unknown): FleetSettingsReading {
  const problems: string[] = [];
  const settings: EffectiveFleetSettings = { ...FLEET_DEFAULTS, gpuTypeIds: [] };
  if (data === undefined || data === null) return { settings, problems };
  if (typeof data !== 'object' || Array.isArray(data)) return { settings, problems: [`${FLEET_SETTINGS_DOCUMENT}: must be a map of settings`] };
  const document = data as Record<string, unknown>;
  const shape = FleetSettingsSchema.shape;
  for (const key of Object.keys(shape) as Array<keyof typeof shape>) {
    if (document[key] === undefined) continue;
    const parsed = shape[key].safeParse(document[key]);
    if (!parsed.success) problems.push(...fieldProblems(key, parsed.error));
    else if (parsed.data !== undefined) (settings as unknown as Record<string, unknown>)[key] = parsed.data;
  }
  for (const key of Object.keys(document)) {
    if (!(key in shape)) problems.push(`${key}: is not a known field`);
  }
  if (settings.minPods > settings.maxPods) {
    problems.push(`minPods: is above maxPods (${settings.maxPods}); maxPods applies`);
    settings.minPods = settings.maxPods;
  }
  return { settings, problems };
}
