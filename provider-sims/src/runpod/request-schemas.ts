import { z } from 'zod';

/** Bodies as RunPod's OpenAPI v2 describes them; unknown fields are refused, as RunPod refuses them. */

const MountsSchema = z
  .object({
    persistent: z.object({ size: z.number().int().min(10), path: z.string() }).strict().optional(),
    network: z.array(z.object({ volumeId: z.string(), path: z.string() }).strict()).max(1).optional(),
  })
  .strict();

const cudaVersion = z.string().regex(/^\d+\.\d+$/);

export const CreatePodBodySchema = z
  .object({
    name: z.string().min(1),
    image: z.string().optional(),
    templateId: z.string().min(1).optional(),
    args: z.string().optional(),
    disk: z.number().int().min(1).optional(),
    env: z.record(z.string(), z.string()).optional(),
    ports: z.array(z.string()).optional(),
    registry: z.string().nullable().optional(),
    cloud: z.enum(['SECURE', 'COMMUNITY']).optional(),
    cpu: z.object({ id: z.string().optional(), vcpuCount: z.number().int().optional() }).strict().optional(),
    gpu: z
      .object({ id: z.string(), count: z.number().int().min(1).optional(), allowedCudaVersions: z.array(cudaVersion).optional(), minCudaVersion: cudaVersion.optional() })
      .strict()
      .optional(),
    dataCenterIds: z.array(z.string()).optional(),
    globalNetworking: z.boolean().optional(),
    mounts: MountsSchema.optional(),
    startJupyter: z.boolean().optional(),
    startSsh: z.boolean().optional(),
  })
  .strict()
  .refine((body) => body.image !== undefined || body.templateId !== undefined, { path: ['image'], message: 'required unless templateId is set' });
export type CreatePodBody = z.infer<typeof CreatePodBodySchema>;

export const UpdatePodBodySchema = z
  .object({
    name: z.string().min(1).optional(),
    image: z.string().optional(),
    args: z.string().optional(),
    disk: z.number().int().min(1).optional(),
    env: z.record(z.string(), z.string()).optional(),
    ports: z.array(z.string()).optional(),
    registry: z.string().nullable().optional(),
    locked: z.boolean().optional(),
    globalNetworking: z.boolean().optional(),
  })
  .strict();
export type UpdatePodBody = z.infer<typeof UpdatePodBodySchema>;

export const PodActionBodySchema = z.object({ action: z.enum(['start', 'stop', 'restart', 'terminate']) }).strict();

const dateTime = z.iso.datetime({ offset: true });

export const PodBillingQuerySchema = z
  .object({
    startTime: dateTime.optional(),
    endTime: dateTime.optional(),
    bucketSize: z.enum(['hour', 'day', 'week', 'month', 'year']).default('day'),
    lastN: z.coerce.number().int().min(1).optional(),
    podId: z.string().min(1).optional(),
  })
  .strict();

/** zod issues as RunPod's `errors` lines: `gpu.id: Invalid input: expected string`. */
export function issueLines(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.map(String).join('.') || '(body)'}: ${issue.message}`);
}
