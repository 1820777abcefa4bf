import { signBody } from '@vidgen/contract';
import { stackState } from '../support/stack-state';
import { offerAttempt, operatorGet, operatorHeaders } from '../support/worker-intake';

interface Detailed {
  running: number;
  comfyui: { workflows: Array<{ modelsPresent: string[] }>; modelFolders: Record<string, number> };
}

async function detailedHealth(url: string): Promise<Detailed> {
  return (await (await operatorGet(url, '/health/detailed')).json()) as Detailed;
}

describe('the GPU worker\'s HTTP surface', () => {
  const worker = () => stackState().workers[0]!;
  const body = { jobId: 'no-such-job', attemptIndex: 0, tier: 'animatediff' };

  it('refuses an offer without a signature (401) or with a wrong one (403), and does nothing', async () => {
    const before = await detailedHealth(worker().url);
    expect(await offerAttempt(worker().url, body, { signature: null })).toMatchObject({ status: 401, body: { error: 'Request signature missing.' } });
    expect(await offerAttempt(worker().url, body, { signature: signBody('the wrong secret, long enough', JSON.stringify(body)) })).toMatchObject({ status: 403, body: { error: 'Request signature mismatch.' } });
    expect(await offerAttempt(worker().url, body, { signature: 't=1,v1=00' })).toMatchObject({ status: 403 });
    const old = signBody('irrelevant', JSON.stringify(body), new Date(Date.now() - 3_600_000));
    expect((await offerAttempt(worker().url, body, { signature: old })).status).toBe(403);
    const after = await detailedHealth(worker().url);
    expect(after.running).toBe(before.running);
  });

  it('answers a signed offer for an unknown job with 409 stale', async () => {
    expect(await offerAttempt(worker().url, body)).toMatchObject({ status: 409, body: { status: 'stale', workerId: worker().workerId } });
  });

  it('answers a malformed signed offer with 400 naming the field', async () => {
    const response = await offerAttempt(worker().url, { jobId: 'x', attemptIndex: -1, tier: 'animatediff' });
    expect(response.status).toBe(400);
    expect((response.body as { error: string }).error).toMatch(/attemptIndex: /);
  });

  it('answers /health to anyone with up or not, and nothing more', async () => {
    const response = await fetch(`${worker().url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it.each(['/health/detailed', '/metrics'])('refuses %s without credentials (401) or with wrong ones (403)', async (path) => {
    const anonymous = await operatorGet(worker().url, path, {});
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
    const refusal = await anonymous.text();
    expect(refusal).not.toMatch(/vidgen_|comfyui|workerId/);
    expect((await operatorGet(worker().url, path, { authorization: 'Bearer not-the-metrics-token' })).status).toBe(403);
    expect((await operatorGet(worker().url, path, { 'x-vidgen-signature': signBody('the wrong secret, long enough', '') })).status).toBe(403);
  });

  it.each(['signature', 'token'] as const)('answers /health/detailed and /metrics with the %s', async (via) => {
    expect((await operatorGet(worker().url, '/health/detailed', operatorHeaders(via))).status).toBe(200);
    const metrics = await operatorGet(worker().url, '/metrics', operatorHeaders(via));
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/^vidgen_capacity 2$/m);
  });

  it('reports ComfyUI, its GPU, queue and which workflows have their models', async () => {
    const detailed = await detailedHealth(worker().url);
    expect(detailed).toMatchObject({
      status: 'ok',
      capacity: 2,
      comfyui: {
        reachable: true,
        socketConnected: true,
        gpu: { name: 'ComfyUI simulator (no GPU)' },
        queue: { running: expect.any(Number), pending: expect.any(Number) },
        workflows: expect.arrayContaining([
          expect.objectContaining({ tier: 'animatediff', ready: true, missingNodes: [], missingModels: [] }),
          expect.objectContaining({ tier: 'svd', ready: true, missingNodes: [], missingModels: [] }),
        ]),
      },
    });
    expect(detailed.comfyui.workflows[0]?.modelsPresent).toEqual(expect.arrayContaining(['v1-5-pruned-emaonly.safetensors', 'v3_sd15_mm.ckpt']));
    expect(detailed.comfyui.modelFolders.checkpoints ?? 0).toBeGreaterThan(0);
  });

  it('exposes Prometheus metrics', async () => {
    const response = await operatorGet(worker().url, '/metrics');
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();
    expect(text).toMatch(/^vidgen_capacity 2$/m);
    expect(text).toMatch(/^vidgen_intake_responses_total\{status="401"\} [1-9]/m);
    expect(text).toContain('process_resident_memory_bytes');
  });
});
