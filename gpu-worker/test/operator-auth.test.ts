import Fastify, { type FastifyInstance } from 'fastify';
import { signBody, SIGNATURE_HEADER } from '@vidgen/contract';
import { checkOperator, operatorOnly } from '../src/routes/operator-auth';

const SECRET = 'a-shared-secret-of-32-characters';
const TOKEN = 'a-metrics-token-for-prometheus';
const config = { WORKER_SHARED_SECRET: SECRET, METRICS_TOKEN: TOKEN };

describe('checkOperator', () => {
  it('lets the bearer token or the HMAC over an empty body through', () => {
    expect(checkOperator(config, { authorization: `Bearer ${TOKEN}` })).toEqual({ ok: true, via: 'token' });
    expect(checkOperator(config, { authorization: `bearer ${TOKEN}` })).toEqual({ ok: true, via: 'token' });
    expect(checkOperator(config, { signature: signBody(SECRET, '') })).toEqual({ ok: true, via: 'signature' });
  });

  it('answers 401 without credentials, 403 with wrong ones', () => {
    expect(checkOperator(config, {})).toMatchObject({ ok: false, status: 401 });
    expect(checkOperator(config, { authorization: 'Bearer not-the-token' })).toMatchObject({ ok: false, status: 403 });
    expect(checkOperator(config, { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` })).toMatchObject({ ok: false, status: 403 });
    expect(checkOperator(config, { signature: signBody('another-secret-of-enough-length', '') })).toEqual({ ok: false, status: 403, error: 'Request signature mismatch.' });
    // A signature over a body does not open a GET (which signs the empty body), nor does an old one.
    expect(checkOperator(config, { signature: signBody(SECRET, '{"jobId":"x"}') })).toMatchObject({ ok: false, status: 403 });
    expect(checkOperator(config, { signature: signBody(SECRET, '', new Date(Date.now() - 3_600_000)) })).toEqual({ ok: false, status: 403, error: 'Request signature expired.' });
  });

  it('takes no bearer token at all when METRICS_TOKEN is not set', () => {
    const hmacOnly = { WORKER_SHARED_SECRET: SECRET };
    expect(checkOperator(hmacOnly, { authorization: 'Bearer ' })).toMatchObject({ ok: false, status: 403 });
    expect(checkOperator(hmacOnly, { authorization: `Bearer ${TOKEN}` })).toMatchObject({ ok: false, status: 403 });
    expect(checkOperator(hmacOnly, { signature: signBody(SECRET, '') })).toEqual({ ok: true, via: 'signature' });
  });
});

describe('operatorOnly on a Fastify route', () => {
  let app: FastifyInstance;
  let base = '';
  beforeAll(async () => {
    app = Fastify();
    app.get('/metrics', { preHandler: operatorOnly(config) }, async () => 'vidgen_capacity 2\n');
    base = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(() => app.close());

  const get = (headers: Record<string, string> = {}) => fetch(`${base}/metrics`, { headers });

  it('refuses before the handler runs, and says how to authenticate', async () => {
    const refused = await get();
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toBe('Bearer');
    const body = await refused.text();
    expect((JSON.parse(body) as { error: string }).error).toMatch(/Authorization: Bearer METRICS_TOKEN.*x-vidgen-signature/);
    expect(body).not.toContain('vidgen_capacity');
    expect((await get({ authorization: 'Bearer wrong' })).status).toBe(403);
  });

  it('answers with either credential', async () => {
    const byToken = await get({ authorization: `Bearer ${TOKEN}` });
    expect(byToken.status).toBe(200);
    expect(await byToken.text()).toBe('vidgen_capacity 2\n');
    expect((await get({ [SIGNATURE_HEADER]: signBody(SECRET, '') })).status).toBe(200);
  });
});
