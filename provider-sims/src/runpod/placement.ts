import { badRequest, HOST_HAS_NO_GPU_DETAIL, noCapacity, notFound, type RunpodHttpError } from './runpod-errors';
import type { RunpodSettings } from './runpod-options';

/** What a create asks of the scheduler. */
export interface PlacementRequest {
  gpuTypeId: string;
  gpuCount: number;
  cloud: 'SECURE' | 'COMMUNITY';
  dataCenterIds: string[];
  networkVolumeId: string | undefined;
}

/** GPUs of a type held in a data center, by the pods that hold one. */
export type HeldGpus = (gpuTypeId: string, dataCenterId: string) => number;

/**
 * Where RunPod would place a new pod, or why it refuses: a network volume pins the pod to the
 * volume's data center (and to Secure Cloud), `dataCenterIds` narrows the choice, and a data
 * center must have `gpuCount` GPUs of the type free.
 */
export function placePod(settings: RunpodSettings, held: HeldGpus, request: PlacementRequest): { dataCenterId: string } | RunpodHttpError {
  const gpuType = settings.gpuTypes[request.gpuTypeId];
  if (!gpuType) return badRequest(`GPU type ${JSON.stringify(request.gpuTypeId)} is not available`);
  const unknown = request.dataCenterIds.filter((id) => !settings.dataCenters.includes(id));
  if (unknown.length > 0) return badRequest(`unknown data center(s): ${unknown.join(', ')}`);
  let candidates = request.dataCenterIds.length > 0 ? request.dataCenterIds : settings.dataCenters;
  if (request.networkVolumeId !== undefined) {
    const volumeDataCenter = settings.networkVolumes[request.networkVolumeId];
    if (volumeDataCenter === undefined) return notFound('network volume');
    if (request.cloud !== 'SECURE') return badRequest('network volumes are only available in Secure Cloud');
    if (!candidates.includes(volumeDataCenter)) {
      return badRequest(`network volume ${request.networkVolumeId} is in ${volumeDataCenter}, which is not among the requested dataCenterIds`);
    }
    candidates = [volumeDataCenter];
  }
  const dataCenterId = candidates.find((id) => free(settings, held, request.gpuTypeId, id) >= request.gpuCount);
  return dataCenterId === undefined ? noCapacity() : { dataCenterId };
}

/** Whether a stopped pod's host still has `gpuCount` GPUs free for it; a stopped pod resumes on the same host. */
export function resumeOnHost(settings: RunpodSettings, held: HeldGpus, gpuTypeId: string, dataCenterId: string, gpuCount: number): RunpodHttpError | undefined {
  return free(settings, held, gpuTypeId, dataCenterId) >= gpuCount ? undefined : badRequest(HOST_HAS_NO_GPU_DETAIL);
}

function free(settings: RunpodSettings, held: HeldGpus, gpuTypeId: string, dataCenterId: string): number {
  const stock = settings.gpuTypes[gpuTypeId]?.stock;
  if (stock === undefined) return Number.POSITIVE_INFINITY;
  return (stock[dataCenterId] ?? 0) - held(gpuTypeId, dataCenterId);
}
