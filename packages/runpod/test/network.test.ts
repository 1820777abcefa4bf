import { createServer } from 'node:net';
import { RunpodClient, RunpodError } from '@vidgen/runpod';

/** A port on 127.0.0.1 that was free a moment ago, so nothing answers there. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('RunpodClient without a server', () => {
  it('retries a refused connection, then fails with runpod/network', async () => {
    const tries: string[] = [];
    const client = new RunpodClient({
      apiKey: 'k',
      baseUrl: `http://127.0.0.1:${await closedPort()}`,
      retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 },
      fetch: (input, init) => {
        tries.push(input instanceof Request ? input.url : input.toString());
        return fetch(input, init);
      },
    });
    const error = await client.listPods().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(RunpodError);
    expect(error).toMatchObject({ code: 'runpod/network', method: 'GET', path: '/v2/pods' });
    expect(tries).toHaveLength(3);
  });

  it('refuses to be built without a key', () => {
    expect(() => new RunpodClient({ apiKey: ' ' })).toThrow(/API key/);
  });
});
