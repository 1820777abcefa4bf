import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FieldValue, type Firestore } from 'firebase-admin/firestore';
import { COLLECTIONS, SIGNATURE_HEADER, verifySignature, type Tier } from '@vidgen/contract';

export interface SeenOffer {
  workerId: string;
  body: unknown;
  signed: boolean;
}

/**
 * A GPU worker's `/v1/attempts` over real HTTP, answering with a fixed status (202 it took the
 * attempt, 409 someone holds it, 429 full, 500 broken); every offer it receives is logged in `seen`.
 */
export class FakeWorker {
  private constructor(readonly workerId: string, private readonly server: Server, readonly url: string) {}

  static async start(workerId: string, status: number, secret: string, seen: SeenOffer[]): Promise<FakeWorker> {
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const signed = verifySignature(secret, body, request.headers[SIGNATURE_HEADER] as string | undefined).ok;
        seen.push({ workerId, body: JSON.parse(body), signed });
        const answer = status === 202 ? { status: 'accepted', workerId } : status === 409 ? { status: 'already_claimed', workerId } : { error: `status ${status}` };
        response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return new FakeWorker(workerId, server, `http://127.0.0.1:${port}`);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** Registers a worker as its heartbeat does (a server timestamp), serving `tiers`. */
export async function registerWorker(
  db: Firestore,
  worker: { workerId: string; url: string },
  options: { running?: number; capacity?: number; pullsBacklog?: boolean; tiers?: Tier[] } = {},
): Promise<void> {
  await db.collection(COLLECTIONS.workers).doc(worker.workerId).set({
    workerId: worker.workerId,
    url: worker.url,
    state: 'ready',
    capacity: options.capacity ?? 2,
    running: options.running ?? 0,
    tiersReady: options.tiers ?? ['animatediff', 'svd'],
    pullsBacklog: options.pullsBacklog ?? false,
    modelsLoaded: [],
    comfyuiVersion: null,
    gpu: null,
    startedAt: new Date(),
    heartbeatAt: FieldValue.serverTimestamp(),
  });
}
