import type { RunpodHookPod, RunpodSimulator, PodDownReason } from '../src/simulators';
import { RTX_4090, podRequest, runpodClient, startRunpod, waitForStatus } from './support/runpod';
import { sleep, until } from './support/wait';

describe('RunPod simulator: hooks that stand in for a pod\'s container', () => {
  let sim: RunpodSimulator | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  it('calls podStarting once the boot time is over and podStopped when the pod stops, restarts or is terminated', async () => {
    const events: Array<{ event: string; pod: RunpodHookPod; reason?: PodDownReason; at: number }> = [];
    sim = await startRunpod({
      hooks: {
        podStarting: async (pod) => {
          await sleep(20);
          events.push({ event: 'starting', pod, at: Date.now() });
        },
        podStopped: (pod, reason) => {
          events.push({ event: 'stopped', pod, reason, at: Date.now() });
        },
      },
    });
    const client = runpodClient(sim);
    const createdAt = Date.now();
    const pod = await client.createPod({ ...podRequest('hooked'), gpu: { id: RTX_4090 } });
    await waitForStatus(client, pod.id, 'RUNNING');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ event: 'starting', pod: { id: pod.id, name: 'hooked', gpuTypeId: RTX_4090, dataCenterId: 'US-KS-2', env: { WORKER_ID: 'hooked' }, ports: ['8000/http'] } });
    expect(events[0]!.at - createdAt).toBeGreaterThanOrEqual(150);

    await client.restartPod(pod.id);
    await waitForStatus(client, pod.id, 'RUNNING');
    await client.stopPod(pod.id);
    await until('podStopped after the stop', () => events.length === 4);
    await client.startPod(pod.id);
    await waitForStatus(client, pod.id, 'RUNNING');
    await client.terminatePod(pod.id);
    await until('podStopped after the terminate', () => events.length === 6);
    expect(events.map((event) => [event.event, event.reason])).toEqual([
      ['starting', undefined],
      ['stopped', 'restart'],
      ['starting', undefined],
      ['stopped', 'stop'],
      ['starting', undefined],
      ['stopped', 'terminate'],
    ]);
  });

  it('does not call podStarting for a pod stopped while it boots', async () => {
    const events: string[] = [];
    sim = await startRunpod({ hooks: { podStarting: () => void events.push('starting'), podStopped: () => void events.push('stopped') } });
    const client = runpodClient(sim);
    const pod = await client.createPod({ ...podRequest(), gpu: { id: RTX_4090 } });
    await client.stopPod(pod.id);
    await sleep(250);
    expect(events).toEqual([]);
    expect((await client.getPod(pod.id)).status).toBe('EXITED');
  });

  it('puts the pod in ERROR, unbilled, when podStarting fails', async () => {
    sim = await startRunpod({ hooks: { podStarting: () => Promise.reject(new Error('worker would not start')) } });
    const client = runpodClient(sim);
    const pod = await client.createPod({ ...podRequest(), gpu: { id: RTX_4090 } });
    const errored = await waitForStatus(client, pod.id, 'ERROR');
    expect(errored).toMatchObject({ cost: 0, actions: ['start', 'terminate'] });
    expect(sim.state().billing[0]?.end).not.toBeNull();
  });
});
