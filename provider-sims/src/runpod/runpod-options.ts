import type { Logger } from 'pino';
import { z } from 'zod';
import { CredentialsSchema, LogLevelSchema } from '../shared/settings';
import type { RunpodPodHooks } from './pod-hooks';

/** A GPU type the simulated account can rent. */
export const GpuTypeSettingSchema = z.object({
  hourlyRate: z.number().min(0).describe('USD per GPU per hour, billed from create/start until stop/terminate'),
  stock: z
    .record(z.string().min(1), z.number().int().min(0))
    .optional()
    .describe('GPUs of this type per data center (held by pods or free); absent: unlimited in every data center'),
});
export type GpuTypeSetting = z.infer<typeof GpuTypeSettingSchema>;

/** Illustrative rates; configure the ones your account pays. */
export const DEFAULT_GPU_TYPES: Record<string, GpuTypeSetting> = {
  'NVIDIA GeForce RTX 4090': { hourlyRate: 0.44 },
  'NVIDIA L40S': { hourlyRate: 0.86 },
  'NVIDIA A100 80GB PCIe': { hourlyRate: 1.64 },
};

export const DEFAULT_DATA_CENTERS = ['US-KS-2', 'EU-RO-1', 'CA-MTL-1'];

/** The serialisable options of a RunPod simulator (CLI flags and environment map onto these). */
export const RunpodSettingsSchema = z
  .object({
    host: z.string().min(1).default('127.0.0.1').describe('interface to listen on'),
    port: z.number().int().min(0).max(65535).default(0).describe('port to listen on; 0 picks a free one'),
    logLevel: LogLevelSchema.default('warn').describe('pino log level when no logger is given'),
    apiKey: CredentialsSchema.describe('API key(s) accepted as `Authorization: Bearer <key>`; absent: any non-empty key'),
    provisionMs: z.number().min(0).default(500).describe('time a pod spends PROVISIONING before STARTING'),
    bootMs: z.number().min(0).default(3000).describe('time a pod spends STARTING (image pull, container start) before RUNNING'),
    gpuTypes: z.record(z.string().min(1), GpuTypeSettingSchema).default(DEFAULT_GPU_TYPES).describe('GPU type id → rate and stock'),
    dataCenters: z.array(z.string().min(1)).min(1).default(DEFAULT_DATA_CENTERS).describe('data center ids, in the order the scheduler tries them'),
    networkVolumes: z.record(z.string().min(1), z.string().min(1)).default({}).describe('network volume id → its data center'),
    templates: z.record(z.string().min(1), z.string().min(1)).default({}).describe('pod template id → the image it supplies'),
  })
  .superRefine((settings, ctx) => {
    const known = new Set(settings.dataCenters);
    for (const [volumeId, dataCenter] of Object.entries(settings.networkVolumes)) {
      if (!known.has(dataCenter)) ctx.addIssue({ code: 'custom', path: ['networkVolumes', volumeId], message: `data center ${dataCenter} is not in dataCenters` });
    }
    for (const [gpuTypeId, gpuType] of Object.entries(settings.gpuTypes)) {
      for (const dataCenter of Object.keys(gpuType.stock ?? {})) {
        if (!known.has(dataCenter)) ctx.addIssue({ code: 'custom', path: ['gpuTypes', gpuTypeId, 'stock', dataCenter], message: `data center ${dataCenter} is not in dataCenters` });
      }
    }
  });
export type RunpodSettings = z.infer<typeof RunpodSettingsSchema>;

/** Options of {@link createRunpodSimulator}. */
export type RunpodSimulatorOptions = z.input<typeof RunpodSettingsSchema> & {
  /** Logger to use instead of a new pino logger at `logLevel`. */
  logger?: Logger;
  /** Called as pods come up and go down, to start and stop what stands for them. */
  hooks?: RunpodPodHooks;
};
