import type { FleetPodTemplate } from '@vidgen/contract';
import type { CreatePodRequest } from '@vidgen/runpod';

/** What a pod built from an image gets unless the settings say otherwise: the worker's port, and room for the image (about 15 GB unpacked) and its outputs. */
const IMAGE_DEFAULTS = { ports: ['8000/http'], diskGb: 40 };

/**
 * The create body of a fleet pod named `name`, less its GPU type; its worker registers under the
 * same name. With a RunPod template, only what `config/fleet` sets is sent: RunPod lets body fields
 * override the template's (env is merged per key), so a default here would override the
 * template's own disk and ports.
 */
export function fleetPodRequest(template: FleetPodTemplate, name: string): Omit<CreatePodRequest, 'gpu'> {
  const fromImage = template.templateId === undefined;
  const request: Omit<CreatePodRequest, 'gpu'> = { name, cloud: 'SECURE', env: { ...template.env, WORKER_ID: name } };
  const ports = template.ports ?? (fromImage ? IMAGE_DEFAULTS.ports : undefined);
  const disk = template.diskGb ?? (fromImage ? IMAGE_DEFAULTS.diskGb : undefined);
  if (ports !== undefined) request.ports = ports;
  if (disk !== undefined) request.disk = disk;
  if (template.image !== undefined) request.image = template.image;
  if (template.templateId !== undefined) request.templateId = template.templateId;
  if (template.dataCenterIds !== undefined) request.dataCenterIds = template.dataCenterIds;
  if (template.networkVolumeId !== undefined) {
    request.mounts = { network: [{ volumeId: template.networkVolumeId, path: template.volumePath ?? '/workspace' }] };
  }
  return request;
}
