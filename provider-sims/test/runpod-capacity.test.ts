import { createPodOnFirstAvailable, RunpodAuthError, RunpodCapacityError, RunpodNoCapacityError, RunpodNotFoundError } from '@vidgen/runpod';
import type { RunpodSimulator } from '../src/simulators';
import { L40S, RTX_4090, podRequest, runpodClient, startRunpod, waitForStatus } from './support/runpod';
import { rejection } from './support/wait';

const A100 = 'NVIDIA A100 80GB PCIe';

describe('RunPod simulator: capacity and placement, driven by our client', () => {
  let sim: RunpodSimulator | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  it('refuses a create for a GPU type with no capacity as a typed capacity error', async () => {
    sim = await startRunpod();
    sim.script({ outcome: 'no_capacity', gpuTypeId: RTX_4090 });
    const error = await rejection(runpodClient(sim).createPod({ ...podRequest(), gpu: { id: RTX_4090 } }));
    expect(error).toBeInstanceOf(RunpodCapacityError);
    expect(error).toMatchObject({ code: 'runpod/capacity', status: 400, problem: { title: 'Bad Request', detail: expect.stringContaining('no longer any instances available') } });
    expect(sim.state().pods).toEqual([]);
  });

  it('falls back through the GPU types in order, and reports every refusal when none places', async () => {
    sim = await startRunpod();
    const client = runpodClient(sim);
    sim.script({ outcome: 'no_capacity', gpuTypeId: RTX_4090, times: 2 });
    const placed = await createPodOnFirstAvailable(client, podRequest(), [RTX_4090, L40S, A100]);
    expect(placed.gpuTypeId).toBe(L40S);
    expect(placed.pod.gpu?.id).toBe(L40S);
    expect(placed.refused.map((refusal) => refusal.gpuTypeId)).toEqual([RTX_4090]);

    sim.script({ outcome: 'no_capacity', gpuTypeId: L40S });
    const none = await rejection(createPodOnFirstAvailable(client, podRequest('second'), [RTX_4090, L40S]));
    expect(none).toBeInstanceOf(RunpodNoCapacityError);
    expect(none).toBeInstanceOf(RunpodCapacityError);
    expect((none as unknown as RunpodNoCapacityError).attempts.map((attempt) => attempt.gpuTypeId)).toEqual([RTX_4090, L40S]);
    expect(sim.state().pods).toHaveLength(1);
  });

  it('runs out of stock as pods take GPUs, and frees them when pods stop', async () => {
    sim = await startRunpod({ gpuTypes: { [RTX_4090]: { hourlyRate: 0.44, stock: { 'US-KS-2': 1, 'EU-RO-1': 1 } } } });
    const client = runpodClient(sim);
    const first = await client.createPod({ ...podRequest('a'), gpu: { id: RTX_4090 } });
    const second = await client.createPod({ ...podRequest('b'), gpu: { id: RTX_4090 } });
    expect([first.dataCenterId, second.dataCenterId]).toEqual(['US-KS-2', 'EU-RO-1']);
    expect(await rejection(client.createPod({ ...podRequest('c'), gpu: { id: RTX_4090 } }))).toBeInstanceOf(RunpodCapacityError);
    await client.stopPod(first.id);
    expect((await client.createPod({ ...podRequest('c'), gpu: { id: RTX_4090 } })).dataCenterId).toBe('US-KS-2');
  });

  it('does not give a stopped pod its GPU back once another tenant has taken it', async () => {
    sim = await startRunpod({ gpuTypes: { [RTX_4090]: { hourlyRate: 0.44, stock: { 'US-KS-2': 1 } } } });
    const client = runpodClient(sim);
    const pod = await client.createPod({ ...podRequest(), gpu: { id: RTX_4090 } });
    await client.stopPod(pod.id);
    sim.setStock(RTX_4090, 'US-KS-2', 0);
    const error = await rejection(client.startPod(pod.id));
    expect(error).toBeInstanceOf(RunpodCapacityError);
    expect(error).toMatchObject({ problem: { detail: expect.stringContaining('not enough free GPUs on the host') } });
    expect((await client.getPod(pod.id)).status).toBe('EXITED');
    sim.setStock(RTX_4090, 'US-KS-2', 1);
    await client.startPod(pod.id);
    await waitForStatus(client, pod.id, 'RUNNING');
  });

  it('places a pod on a network volume only in the volume\'s data center, and only in Secure Cloud', async () => {
    sim = await startRunpod({ networkVolumes: { vol_models: 'EU-RO-1' } });
    const client = runpodClient(sim);
    const mounts = { network: [{ volumeId: 'vol_models', path: '/workspace' }] };

    const pod = await client.createPod({ ...podRequest(), gpu: { id: RTX_4090 }, mounts });
    expect(pod.dataCenterId).toBe('EU-RO-1');
    expect(pod.mounts).toEqual(mounts);

    const elsewhere = await rejection(client.createPod({ ...podRequest(), gpu: { id: RTX_4090 }, mounts, dataCenterIds: ['US-KS-2'] }));
    expect(elsewhere).toBeInstanceOf(RunpodCapacityError);
    expect(elsewhere).toMatchObject({ status: 400, problem: { detail: expect.stringContaining('is in EU-RO-1') } });

    const community = await rejection(client.createPod({ ...podRequest(), gpu: { id: RTX_4090 }, mounts, cloud: 'COMMUNITY' }));
    expect(community).toMatchObject({ status: 400, problem: { detail: expect.stringContaining('Secure Cloud') } });

    const unknown = await rejection(client.createPod({ ...podRequest(), gpu: { id: RTX_4090 }, mounts: { network: [{ volumeId: 'vol_nope', path: '/workspace' }] } }));
    expect(unknown).toBeInstanceOf(RunpodNotFoundError);
  });

  it('keeps a volume pod in its data center when the GPU type has no stock there', async () => {
    sim = await startRunpod({
      networkVolumes: { vol_models: 'EU-RO-1' },
      gpuTypes: { [RTX_4090]: { hourlyRate: 0.44, stock: { 'US-KS-2': 4, 'EU-RO-1': 0 } }, [L40S]: { hourlyRate: 0.86, stock: { 'EU-RO-1': 1 } } },
    });
    const client = runpodClient(sim);
    const placed = await createPodOnFirstAvailable(client, { ...podRequest(), mounts: { network: [{ volumeId: 'vol_models', path: '/workspace' }] } }, [RTX_4090, L40S]);
    expect(placed).toMatchObject({ gpuTypeId: L40S, pod: { dataCenterId: 'EU-RO-1' } });
  });
});

describe('createPodOnFirstAvailable', () => {
  let sim: RunpodSimulator;
  beforeAll(async () => {
    sim = await startRunpod();
  });
  afterAll(async () => {
    await sim.close();
  });

  it('stops at a failure that is not about capacity instead of trying the next GPU type', async () => {
    const error = await rejection(createPodOnFirstAvailable(runpodClient(sim, 'rpa_wrong'), podRequest(), [RTX_4090, L40S]));
    expect(error).toBeInstanceOf(RunpodAuthError);
    expect(sim.state().requests.filter((request) => request.method === 'POST')).toHaveLength(1);
  });
});
