import { z } from 'zod';

/**
 * Pods as RunPod's REST API v2 describes them (OpenAPI `Pod`, `PodStatus`, `PodAction`,
 * `CreatePodRequest`, `UpdatePodRequest` at https://api.runpod.io/v2/openapi.json). Answers are
 * checked for the fields this project reads and keep every other field as sent.
 */

/** `PROVISIONING` → `STARTING` → `RUNNING`; `EXITED` after a stop; `TERMINATED` once deleted. */
export const PodStatusSchema = z.enum(['PROVISIONING', 'STARTING', 'RUNNING', 'EXITED', 'ERROR', 'TERMINATED']);
export type PodStatus = z.infer<typeof PodStatusSchema>;

/** The transitions `POST /v2/pods/{id}/action` takes; a pod lists the ones valid now in `actions`. */
export const PodActionSchema = z.enum(['start', 'stop', 'restart', 'terminate']);
export type PodAction = z.infer<typeof PodActionSchema>;

export const CloudSchema = z.enum(['SECURE', 'COMMUNITY']);
export type Cloud = z.infer<typeof CloudSchema>;

export const PodGpuSchema = z.looseObject({
  id: z.string().describe('GPU type id, e.g. "NVIDIA GeForce RTX 4090"'),
  count: z.number().int().min(1).optional(),
});

export const PodMountsSchema = z.looseObject({
  persistent: z.looseObject({ size: z.number(), path: z.string() }).optional(),
  network: z.array(z.looseObject({ volumeId: z.string(), path: z.string() })).optional(),
});
export type PodMounts = z.infer<typeof PodMountsSchema>;

export const PodSchema = z.looseObject({
  id: z.string(),
  name: z.string(),
  status: PodStatusSchema,
  actions: z.array(PodActionSchema).describe('the actions valid in the current status'),
  image: z.string(),
  env: z.record(z.string(), z.string()),
  ports: z.array(z.string()),
  disk: z.number(),
  mounts: PodMountsSchema,
  gpu: PodGpuSchema.optional().describe('absent on CPU pods'),
  cloud: CloudSchema,
  dataCenterId: z.string().nullable().describe('assigned by the scheduler'),
  cost: z.number().describe('USD per hour now; 0 when EXITED or TERMINATED'),
  locked: z.boolean(),
  template: z.string().nullable(),
  runtime: z.looseObject({ uptime: z.number().optional() }).nullable().optional().describe('null unless RUNNING'),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
});
export type Pod = z.infer<typeof PodSchema>;

export const ListPodsResponseSchema = z.looseObject({ pods: z.array(PodSchema) });

/** A network volume mount; the pod must be placed in the volume's data center. */
export interface NetworkMount {
  volumeId: string;
  path: string;
}

/** Body of `POST /v2/pods`: exactly one of `gpu` or `cpu`; `image` unless `templateId`. Unknown fields are refused (422). */
export interface CreatePodRequest {
  name: string;
  image?: string;
  templateId?: string;
  gpu?: { id: string; count?: number; allowedCudaVersions?: string[]; minCudaVersion?: string };
  cpu?: { id?: string; vcpuCount?: number };
  /** Default `SECURE`; network volumes exist only in Secure Cloud. */
  cloud?: Cloud;
  /** Preferred data centers; empty or absent lets the scheduler choose. */
  dataCenterIds?: string[];
  mounts?: { persistent?: { size: number; path: string }; network?: NetworkMount[] };
  env?: Record<string, string>;
  ports?: string[];
  disk?: number;
  args?: string;
  registry?: string | null;
  globalNetworking?: boolean;
  startSsh?: boolean;
  startJupyter?: boolean;
}

/** Body of `PATCH /v2/pods/{id}`: only the fields present change. */
export interface UpdatePodRequest {
  name?: string;
  image?: string;
  args?: string;
  disk?: number;
  ports?: string[];
  env?: Record<string, string>;
  registry?: string | null;
  locked?: boolean;
  globalNetworking?: boolean;
}
