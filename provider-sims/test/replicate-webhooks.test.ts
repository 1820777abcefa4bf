import type Replicate from 'replicate';
import { validateWebhook } from 'replicate';
import { ANIMATEDIFF_SIM_VERSION, SVD_SIM_VERSION, signWebhook, type ReplicateSimulator } from '../src/simulators';
import { client, settle, startReplicate } from './support/replicate';
import { until } from './support/wait';
import { WebhookReceiver, type ReceivedWebhook } from './support/webhook-receiver';

describe('Replicate simulator webhooks, checked with the replicate client\'s validateWebhook', () => {
  let sim: ReplicateSimulator;
  let replicate: Replicate;
  let receiver: WebhookReceiver;
  let secret: string;

  beforeAll(async () => {
    sim = await startReplicate({ predictMs: 300 });
    replicate = client(sim);
    receiver = await new WebhookReceiver().start();
    secret = (await replicate.webhooks.default.secret.get()).key;
  });

  afterEach(() => {
    receiver.respond = () => 200;
    sim.clearScript();
  });

  afterAll(async () => {
    await sim.close();
    await receiver.close();
  });

  const valid = (hook: ReceivedWebhook) =>
    validateWebhook({ id: hook.headers['webhook-id']!, timestamp: hook.headers['webhook-timestamp']!, signature: hook.headers['webhook-signature']!, body: hook.rawBody, secret });

  it('serves a whsec_ secret and signs as Replicate does', async () => {
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+={0,2}$/);
    expect(secret).toBe(sim.webhookSecret);
    const id = 'msg_test';
    const signature = signWebhook(secret, id, 1700000000, '{"a":1}');
    expect(await validateWebhook({ id, timestamp: '1700000000', signature, body: '{"a":1}', secret })).toBe(true);
    expect(await validateWebhook({ id, timestamp: '1700000000', signature, body: '{"a":2}', secret })).toBe(false);
  });

  it('sends start, throttled logs, output and completed, in order, signed, to the URL as given', async () => {
    const created = await replicate.predictions.create({
      version: SVD_SIM_VERSION,
      input: { input_image: 'https://example.com/a.png' },
      webhook: `${receiver.url}/hooks/replicate?job=42`,
      webhook_events_filter: ['start', 'output', 'logs', 'completed'],
    });
    expect(created).toMatchObject({ webhook: `${receiver.url}/hooks/replicate?job=42`, webhook_events_filter: ['start', 'output', 'logs', 'completed'] });
    const done = await settle(replicate, created);
    const hooks = await until('the completed webhook', () => {
      const mine = receiver.for(created.id);
      return mine.at(-1)?.body.status === 'succeeded' ? mine : undefined;
    });

    expect(hooks.every((hook) => hook.url === '/hooks/replicate?job=42')).toBe(true);
    for (const hook of hooks) expect(await valid(hook)).toBe(true);
    expect(new Set(hooks.map((hook) => hook.headers['webhook-id'])).size).toBe(hooks.length);
    expect(hooks.every((hook) => Math.abs(Number(hook.headers['webhook-timestamp']) - Date.now() / 1000) < 10)).toBe(true);

    expect(hooks[0]!.body.status).toBe('starting');
    const logs = hooks.filter((hook) => hook.body.status === 'processing' && hook.body.output === null);
    // 26 log changes (seed line + 25 steps), throttled to one webhook per 60 ms of processing.
    const processingMs = Date.parse(done.completed_at!) - Date.parse(done.started_at!);
    expect(logs.length).toBeGreaterThanOrEqual(2);
    expect(logs.length).toBeLessThanOrEqual(Math.min(25, Math.floor(processingMs / 60) + 2));
    expect(logs.at(-1)!.body.logs.length).toBeGreaterThan(logs[0]!.body.logs.length);
    const output = hooks.at(-2)!;
    expect(output.body).toMatchObject({ status: 'processing', output: `${sim.url}/files/${created.id}.mp4` });
    expect(hooks.at(-1)!.body).toMatchObject({ status: 'succeeded', output: `${sim.url}/files/${created.id}.mp4` });

    const request = new Request(`${receiver.url}/hooks/replicate?job=42`, { method: 'POST', headers: hooks[0]!.headers, body: hooks[0]!.rawBody });
    expect(await validateWebhook(request, secret)).toBe(true);
  });

  it('without webhook_events_filter sends output and completed only', async () => {
    const created = await replicate.predictions.create({ version: ANIMATEDIFF_SIM_VERSION, input: { prompt: 'default events' }, webhook: `${receiver.url}/default` });
    await settle(replicate, created);
    const hooks = await until('two webhooks', () => (receiver.for(created.id).length >= 2 ? receiver.for(created.id) : undefined));
    expect(hooks.map((hook) => hook.body.status)).toEqual(['processing', 'succeeded']);
  });

  it('retries only the completed webhook while the receiver fails, with the same webhook-id', async () => {
    let refusals = 2;
    receiver.respond = (hook) => (hook.body.status === 'failed' && refusals-- > 0 ? 500 : 200);
    sim.script({ outcome: 'failed' });
    const created = await replicate.predictions.create({ version: ANIMATEDIFF_SIM_VERSION, input: { prompt: 'fails' }, webhook: `${receiver.url}/retry`, webhook_events_filter: ['completed'] });
    const hooks = await until('three deliveries', () => (receiver.for(created.id).length >= 3 ? receiver.for(created.id) : undefined));
    expect(hooks.map((hook) => hook.body.status)).toEqual(['failed', 'failed', 'failed']);
    expect(new Set(hooks.map((hook) => hook.headers['webhook-id'])).size).toBe(1);
    // The receiver records a delivery before it answers, so the simulator may not have seen the last answer yet.
    const deliveries = await until('the third answer', () => {
      const found = sim.state().predictions.find((p) => p.prediction.id === created.id)!.deliveries;
      return found.length >= 3 ? found : undefined;
    });
    expect(deliveries.map((delivery) => [delivery.attempt, delivery.result])).toEqual([[1, 500], [2, 500], [3, 200]]);
  });

  it('sends completed with status canceled after a cancel', async () => {
    sim.script({ outcome: 'never_finishes' });
    const created = await replicate.predictions.create({ version: ANIMATEDIFF_SIM_VERSION, input: { prompt: 'cancel me' }, webhook: `${receiver.url}/cancel`, webhook_events_filter: ['completed'] });
    await replicate.predictions.cancel(created.id);
    const [hook] = await until('the canceled webhook', () => (receiver.for(created.id).length > 0 ? receiver.for(created.id) : undefined));
    expect(hook!.body.status).toBe('canceled');
    expect(await valid(hook!)).toBe(true);
  });
});
