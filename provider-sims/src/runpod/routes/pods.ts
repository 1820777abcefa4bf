import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { RunpodCore } from '../runpod-core';
import { ACTIONS, podJson } from '../pod-record';
import { placePod } from '../placement';
import { CreatePodBodySchema, PodActionBodySchema, UpdatePodBodySchema, type CreatePodBody } from '../request-schemas';
import { badRequest, HOST_HAS_NO_GPU_DETAIL, noCapacity, NO_INSTANCES_DETAIL, notFound, RunpodHttpError } from '../runpod-errors';
import { parseBody, scriptedFailure } from './scripted';
import type { NewPod } from '../pod-fleet';

/** `/v2/pods`: list, create, get, update, delete, and the state transitions of `/action`. */
export function registerPodRoutes(app: FastifyInstance, core: RunpodCore): void {
  const { fleet } = core;
  const json = (pod: Parameters<typeof podJson>[0]): Record<string, unknown> => podJson(pod, fleet.rate(pod), Date.now());
  const find = (id: string) => {
    const pod = fleet.get(id);
    if (!pod) throw notFound('pod');
    return pod;
  };

  app.get('/v2/pods', async () => {
    scriptedFailure(core, 'listPods');
    return { pods: fleet.list().map(json) };
  });

  app.post('/v2/pods', async (request, reply) => {
    scriptedFailure(core, 'createPod');
    const body = parseBody(request, CreatePodBodySchema);
    const fields = podFields(core, body);
    if (core.script.take(['no_capacity'], { operation: 'createPod', gpuTypeId: fields.gpuTypeId })) throw refusal(core, noCapacity());
    const placed = placePod(core.settings, fleet.held, {
      gpuTypeId: fields.gpuTypeId,
      gpuCount: fields.gpuCount,
      cloud: fields.cloud,
      dataCenterIds: body.dataCenterIds ?? [],
      networkVolumeId: body.mounts?.network?.[0]?.volumeId,
    });
    if (placed instanceof RunpodHttpError) throw refusal(core, placed);
    const pod = fleet.create({ ...fields, dataCenterId: placed.dataCenterId });
    core.counters.podsCreated += 1;
    core.log.info({ podId: pod.id, gpuTypeId: pod.gpuTypeId, dataCenterId: pod.dataCenterId }, 'RunPod simulator: pod created');
    return reply.code(201).send(json(pod));
  });

  app.get<{ Params: { id: string } }>('/v2/pods/:id', async (request) => {
    scriptedFailure(core, 'getPod');
    return json(find(request.params.id));
  });

  app.patch<{ Params: { id: string } }>('/v2/pods/:id', async (request) => {
    scriptedFailure(core, 'updatePod');
    const pod = find(request.params.id);
    const body = parseBody(request, UpdatePodBodySchema);
    Object.assign(pod, Object.fromEntries(Object.entries(body).filter(([, value]) => value !== undefined)));
    return json(pod);
  });

  app.delete<{ Params: { id: string } }>('/v2/pods/:id', async (request, reply) => {
    scriptedFailure(core, 'deletePod');
    fleet.terminate(find(request.params.id));
    return reply.code(204).send();
  });

  app.post<{ Params: { id: string } }>('/v2/pods/:id/action', async (request, reply) => {
    scriptedFailure(core, 'podAction');
    const pod = find(request.params.id);
    const { action } = parseBody(request, PodActionBodySchema);
    if (action === 'start' && ACTIONS[pod.status].includes('start') && core.script.take(['no_capacity'], { operation: 'podAction', gpuTypeId: pod.gpuTypeId })) {
      throw refusal(core, noCapacity(HOST_HAS_NO_GPU_DETAIL));
    }
    try {
      fleet.act(pod, action);
    } catch (error) {
      throw error instanceof RunpodHttpError && error.status === 400 ? refusal(core, error) : error;
    }
    if (action === 'terminate') return reply.code(204).send();
    return json(pod);
  });
}

/** The pod a create body describes, before placement; 400/404 for what the schema cannot say. */
function podFields(core: RunpodCore, body: CreatePodBody): Omit<NewPod, 'dataCenterId'> {
  if (body.cpu !== undefined && body.gpu !== undefined) throw badRequest('set exactly one of gpu or cpu');
  if (body.gpu === undefined) throw badRequest(body.cpu === undefined ? 'set exactly one of gpu or cpu' : 'the RunPod simulator serves GPU pods only');
  if (body.mounts?.persistent !== undefined && body.mounts.network !== undefined) throw badRequest('mounts: set at most one of persistent or network');
  let image = body.image;
  if (body.templateId !== undefined) {
    const templateImage = core.settings.templates[body.templateId];
    if (templateImage === undefined) throw notFound('template');
    image ??= templateImage;
  }
  return {
    id: podId(),
    name: body.name,
    image: image ?? '',
    args: body.args ?? '',
    disk: body.disk ?? 50,
    ports: body.ports ?? [],
    env: body.env ?? {},
    registry: body.registry ?? null,
    mounts: body.mounts ?? {},
    gpuTypeId: body.gpu.id,
    gpuCount: body.gpu.count ?? 1,
    cloud: body.cloud ?? 'SECURE',
    globalNetworking: body.globalNetworking ?? false,
  };
}

function refusal(core: RunpodCore, error: RunpodHttpError): RunpodHttpError {
  if (error.detail === NO_INSTANCES_DETAIL || error.detail === HOST_HAS_NO_GPU_DETAIL) core.counters.capacityRefusals += 1;
  return error;
}

/** A pod id shaped like RunPod's: 14 lowercase letters and digits. */
function podId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(14)].map((byte) => alphabet[byte % alphabet.length]).join('');
}
