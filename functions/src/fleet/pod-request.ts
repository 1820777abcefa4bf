import type { FleetPodTemplate } from '@vidgen/contract';
import type { CreatePodRequest } from '@vidgen/runpod';

/** The create body of a fleet pod named `name`, less its GPU type; its worker registers under the same name. */
export function fleetPodRequest(template: FleetPodTemplate, name: string): Omit<CreatePodRequest, 'gpu'> {
  const request: Omit<CreatePodRequest, 'gpu'> = {
    name,
    cloud: 'SECURE',
    env: { ...template.env, WORKER_ID: name },
    ports: template.ports ?? ['8000/http'],
    disk: template.diskGb ?? 20,
  };
  if (template.image !== undefined) request.image = template.image;
  if (template.templateId !== undefined) request.templateId = template.templateId;
  if (template.dataCenterIds !== undefined) request.dataCenterIds = template.dataCenterIds;
  if (template.networkVolumeId !== undefined) {
    request.mounts = { network: [{ volumeId: template.networkVolumeId, path: template.volumePath ?? '/workspace' }] };
  }
  return request;
}
