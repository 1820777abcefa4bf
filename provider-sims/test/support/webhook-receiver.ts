import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';

/** One webhook call as received: headers, raw body, parsed body. */
export interface ReceivedWebhook {
  url: string;
  headers: Record<string, string>;
  rawBody: string;
  body: { id: string; status: string; logs: string; output: unknown; error: unknown };
}

/** A local receiver for Replicate webhooks that keeps raw bodies (needed to check signatures). */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  /** The status to answer a delivery with; lets a test refuse some. */
  respond: (hook: ReceivedWebhook) => number = () => 200;
  url = '';
  private readonly app: FastifyInstance = Fastify({ logger: false, forceCloseConnections: true });

  async start(): Promise<this> {
    this.app.removeAllContentTypeParsers();
    this.app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
    this.app.post('/*', async (request, reply) => {
      const rawBody = String(request.body);
      const headers = Object.fromEntries(Object.entries(request.headers).map(([key, value]) => [key, String(value)]));
      const hook: ReceivedWebhook = { url: request.url, headers, rawBody, body: JSON.parse(rawBody) as ReceivedWebhook['body'] };
      this.received.push(hook);
      return reply.code(this.respond(hook)).send('');
    });
    await this.app.listen({ host: '127.0.0.1', port: 0 });
    this.url = `http://127.0.0.1:${(this.app.server.address() as AddressInfo).port}`;
    return this;
  }

  /** The webhooks received for one prediction. */
  for(predictionId: string): ReceivedWebhook[] {
    return this.received.filter((hook) => hook.body.id === predictionId);
  }

  close(): Promise<void> {
    return this.app.close();
  }
}
