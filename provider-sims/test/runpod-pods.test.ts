import { RunpodAuthError, RunpodError, RunpodNotFoundError, RunpodRateLimitError, type PodStatus } from '@vidgen/runpod';
import type { RunpodSimulator } from '../src/simulators';
import { RTX_4090, podRequest, runpodClient, startRunpod, waitForStatus } from './support/runpod';
import { rejection } from './support/wait';

describe('RunPod simulator: pods, driven by our client', () => {
  let sim: RunpodSimulator;
  beforeEach(async () => {
    sim = await startRunpod();
  });
  afterEach(async () => {
    await sim.close();
  });

  it('creates a pod that boots PROVISIONING → STARTING → RUNNING, and lists and gets it', async () => {
    const client = runpodClient(sim);
    const created = await client.createPod({ ...podRequest(), gpu: { id: RTX_4090 } });
    expect(created).toMatchObject({ name: 'vidgen-worker', status: 'PROVISIONING', actions: ['stop', 'terminate'], gpu: { id: RTX_4090, count: 1 }, cost: 0.44, startedAt: null, runtime: null });
    expect(created.id).toMatch(/^[a-z0-9]{14}$/);
    expect(created.dataCenterId).toBe('US-KS-2');

    const seen: PodStatus[] = [created.status];
    const started = Date.now();
    const running = await waitForStatus(client, created.id, 'RUNNING', seen);
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    expect(seen).toEqual(['PROVISIONING', 'STARTING', 'RUNNING']);
    expect(running.actions).toEqual(['stop', 'restart', 'terminate']);
    expect(running.startedAt).not.toBeNull();
    expect(running.env).toEqual({ WORKER_ID: 'vidgen-worker' });

    expect((await client.listPods()).map((pod) => [pod.id, pod.status])).toEqual([[created.id, 'RUNNING']]);
  });

  it('stops a pod (no cost while EXITED), starts it again, and terminates it for good', async () => {
    const client = runpodClient(sim);
    const { id } = await client.createPod({ ...podRequest(), gpu: { id: RTX_4090 } });
    await waitForStatus(client, id, 'RUNNING');

    const stopped = await client.stopPod(id);
    expect(stopped).toMatchObject({ status: 'EXITED', cost: 0, actions: ['start', 'terminate'], runtime: null });

    const restarted = await client.startPod(id);
    expect(restarted.status).toBe('PROVISIONING');
    await waitForStatus(client, id, 'RUNNING');

    await client.terminatePod(id);
    expect(await client.listPods()).toEqual([]);
    const gone = await rejection(client.getPod(id));
    expect(gone).toBeInstanceOf(RunpodNotFoundError);
    expect(gone).toMatchObject({ code: 'runpod/not-found', status: 404, problem: { title: 'Not Found', status: 404 } });
  });

  it('refuses an action the status does not allow with 409', async () => {
    const client = runpodClient(sim);
    const { id } = await client.createPod({ ...podRequest(), gpu: { id: RTX_4090 } });
    const error = await rejection(client.restartPod(id));
    expect(error).toBeInstanceOf(RunpodError);
    expect(error).toMatchObject({ code: 'runpod/invalid-state', status: 409 });
  });

  it('answers 404 for a pod that never existed, to every pod route', async () => {
    const client = runpodClient(sim);
    const calls = [() => client.getPod('nosuchpod00000'), () => client.stopPod('nosuchpod00000'), () => client.terminatePod('nosuchpod00000')];
    for (const call of calls) expect(await rejection(call())).toBeInstanceOf(RunpodNotFoundError);
  });

  it('refuses a bad key and a missing one with 401, without retrying', async () => {
    const error = await rejection(runpodClient(sim, 'rpa_wrong').listPods());
    expect(error).toBeInstanceOf(RunpodAuthError);
    expect(error).toMatchObject({ code: 'runpod/auth', status: 401, problem: { title: 'Unauthorized', detail: 'invalid bearer token' } });
    const bare = await fetch(`${sim.url}/v2/pods`);
    expect(bare.status).toBe(401);
    expect(bare.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await bare.json()).toEqual({ title: 'Unauthorized', status: 401, detail: 'missing bearer token' });
    expect(sim.state().counters.authFailures).toBe(2);
  });

  it('refuses unknown body fields with 422 naming them, as the v2 API does', async () => {
    const response = await fetch(`${sim.url}/v2/pods`, {
      method: 'POST',
      headers: { authorization: 'Bearer rpa_test_key', 'content-type': 'application/json' },
      body: JSON.stringify({ ...podRequest(), gpuTypeIds: [RTX_4090], gpu: { id: RTX_4090 } }),
    });
    expect(response.status).toBe(422);
    const problem = (await response.json()) as { errors: string[] };
    expect(problem.errors.join('\n')).toContain('gpuTypeIds');
  });

  it('retries a 429 after Retry-After and a 5xx with backoff, then answers', async () => {
    const client = runpodClient(sim);
    sim.script({ outcome: 'rate_limited', operation: 'listPods', times: 2, retryAfterSeconds: 0 });
    sim.script({ outcome: 'server_error', operation: 'listPods', status: 503 });
    expect(await client.listPods()).toEqual([]);
    const statuses = sim.state().requests.filter((request) => request.path === '/v2/pods').map((request) => request.status);
    expect(statuses).toEqual([429, 429, 503, 200]);
  });

  it('gives up with a rate-limit error once the tries are spent, or when Retry-After is too long', async () => {
    sim.script({ outcome: 'rate_limited', operation: 'getPod', times: 10, retryAfterSeconds: 0 });
    const spent = await rejection(runpodClient(sim).getPod('abc'));
    expect(spent).toBeInstanceOf(RunpodRateLimitError);
    expect(sim.state().requests.filter((request) => request.status === 429)).toHaveLength(4);

    sim.clearScript();
    sim.script({ outcome: 'rate_limited', operation: 'listPods', retryAfterSeconds: 60 });
    const tooLong = await rejection(runpodClient(sim).listPods());
    expect(tooLong).toBeInstanceOf(RunpodRateLimitError);
    expect(tooLong).toMatchObject({ retryAfterMs: 60_000, status: 429 });
  });
});
