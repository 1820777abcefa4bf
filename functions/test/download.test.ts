import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobError } from '@vidgen/contract';
import { downloadBounded } from '../src/providers/download';

const MAX = 1000;

/** A video server: each path answers one way a provider's file server can. */
function videoServer(): Server {
  return createServer((request, response) => {
    const chunk = Buffer.alloc(400, 7);
    switch (request.url) {
      case '/fits':
        response.writeHead(200, { 'content-type': 'video/mp4', 'content-length': String(MAX) });
        response.end(Buffer.alloc(MAX, 1));
        return;
      case '/announces-too-much':
        // Says 10 MB, sends a little: the download must not wait for the rest.
        response.writeHead(200, { 'content-type': 'video/mp4', 'content-length': String(10_000_000) });
        response.write(chunk);
        return;
      case '/streams-too-much': {
        // No length announced (chunked): the bound is found while streaming.
        response.writeHead(200, { 'content-type': 'video/mp4' });
        let sent = 0;
        const timer = setInterval(() => {
          if (response.destroyed || sent >= 10) {
            clearInterval(timer);
            response.end();
            return;
          }
          sent += 1;
          response.write(chunk);
        }, 5);
        return;
      }
      case '/rate-limited':
        response.writeHead(429).end();
        return;
      case '/gone':
        response.writeHead(404).end();
        return;
      default:
        response.writeHead(500).end();
    }
  });
}

describe('downloadBounded: a provider video into the run folder, never more than the bound', () => {
  let server: Server;
  let base: string;
  let dir: string;
  const options = () => ({ provider: 'Veo', maxBytes: MAX, signal: new AbortController().signal });
  const failureOf = (promise: Promise<unknown>) => promise.then(() => null, (error: unknown) => error);

  beforeAll(async () => {
    server = videoServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    dir = await mkdtemp(join(tmpdir(), 'download-'));
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a video at the bound whole', async () => {
    const file = join(dir, 'fits.mp4');
    await expect(downloadBounded(`${base}/fits`, file, options())).resolves.toBe(MAX);
    expect((await readFile(file)).length).toBe(MAX);
  });

  it('refuses a video that announces more than the bound, writing nothing', async () => {
    const file = join(dir, 'announced.mp4');
    const failure = await failureOf(downloadBounded(`${base}/announces-too-much`, file, options()));
    expect(failure).toBeInstanceOf(JobError);
    expect(failure).toMatchObject({ code: 'output_too_large', message: expect.stringContaining('announces 10 MiB') });
    expect(existsSync(file)).toBe(false);
  });

  it('stops a streamed video at the bound and removes what it wrote', async () => {
    const file = join(dir, 'streamed.mp4');
    const failure = await failureOf(downloadBounded(`${base}/streams-too-much`, file, options()));
    expect(failure).toMatchObject({ code: 'output_too_large' });
    expect((failure as JobError).errorClass).toBe('failover');
    expect(existsSync(file)).toBe(false);
  });

  it('maps the server\'s refusals to transient or final codes', async () => {
    await expect(downloadBounded(`${base}/rate-limited`, join(dir, 'a.mp4'), options())).rejects.toMatchObject({ code: 'provider_rate_limited' });
    await expect(downloadBounded(`${base}/broken`, join(dir, 'b.mp4'), options())).rejects.toMatchObject({ code: 'provider_unavailable' });
    await expect(downloadBounded(`${base}/gone`, join(dir, 'c.mp4'), options())).rejects.toMatchObject({ code: 'output_missing' });
  });
});
