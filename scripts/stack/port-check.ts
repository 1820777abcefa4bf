import { createServer } from 'node:net';
import { FLEET_POD_SLOTS } from './fleet-pods';
import type { Ports } from './ports';
import { describeHolders, tcpListeners } from './process-owner';

/** A port the stack listens on, and which of its components does. */
export interface PortNeed {
  port: number;
  component: string;
}

/**
 * Every port a stack on `ports` with `workers` workers listens on (a worker and its ComfyUI
 * simulator take base + i), with its component. firebase-tools' logging emulator listens only when
 * START_LOGGING_EMULATOR=true (the emulator UI is off); the Firestore emulator's UI websocket port is
 * not fixed, firebase-tools picks a free one.
 */
export function stackPortNeeds(ports: Ports, workers: number): PortNeed[] {
  const needs: PortNeed[] = [
    { port: ports.firestore, component: 'the Firestore emulator' },
    { port: ports.auth, component: 'the Auth emulator (firebase-tools)' },
    { port: ports.functions, component: 'the Functions emulator (firebase-tools)' },
    { port: ports.tasks, component: 'the Cloud Tasks emulator (firebase-tools)' },
    { port: ports.hosting, component: 'the Hosting emulator (firebase-tools, the demo page)' },
    { port: ports.hub, component: "firebase-tools' emulator hub" },
    { port: ports.store, component: 'the local object store' },
    { port: ports.veo, component: 'the Veo (Gemini API) simulator' },
    { port: ports.replicate, component: 'the Replicate simulator' },
    { port: ports.runpod, component: 'the RunPod simulator' },
  ];
  if (process.env.START_LOGGING_EMULATOR === 'true') needs.push({ port: ports.logging, component: "firebase-tools' logging emulator" });
  for (let i = 0; i < workers; i += 1) {
    needs.push({ port: ports.worker + i, component: `GPU worker local-worker-${i + 1}` });
    needs.push({ port: ports.comfyui + i, component: `ComfyUI simulator ${i + 1}` });
  }
  for (let i = 0; i < FLEET_POD_SLOTS; i += 1) {
    needs.push({ port: ports.podWorker + i, component: `the GPU worker of RunPod simulator pod slot ${i + 1}` });
    needs.push({ port: ports.podComfyui + i, component: `the ComfyUI simulator of RunPod simulator pod slot ${i + 1}` });
  }
  return needs;
}

/** Null when `host:port` can be bound now, else why not (EADDRINUSE, EACCES, ...). */
export function bindError(port: number, host: string): Promise<string | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    server.listen({ port, host }, () => server.close(() => resolve(null)));
  });
}

/** A port of the stack that it cannot listen on, with who holds it. */
export interface BusyPort extends PortNeed {
  /** "pid 123 (python3 -m http.server 8080)", or what can be said instead. */
  holder: string;
  pids: number[];
}

/** The stack's ports that are taken, each with its component and holder. */
export class PortsInUseError extends Error {
  constructor(readonly busy: BusyPort[]) {
    super(portsInUseMessage(busy));
    this.name = 'PortsInUseError';
  }
}

function portsInUseMessage(busy: BusyPort[]): string {
  const lines = busy.map((b) => `  port ${b.port}, for ${b.component}: held by ${b.holder}`);
  const pids = [...new Set(busy.flatMap((b) => b.pids))];
  const [them, holds] = busy.length === 1 ? ['it', 'holds it'] : ['them', 'holds them'];
  const stop = pids.length > 0 ? `stop what ${holds} (kill ${pids.join(' ')}; it may be a local stack already running)` : `stop what ${holds}`;
  return [
    `${busy.length === 1 ? 'a port' : `${busy.length} ports`} of the local stack ${busy.length === 1 ? 'is' : 'are'} in use, so it cannot start there:`,
    ...lines,
    `Nothing was started. To free ${them}, ${stop}; or move every port of the stack: \`npm start -- --port-offset N\` (the test stack: STACK_PORT_OFFSET=N).`,
  ].join('\n');
}

/**
 * Checks that every port is free on `host` before anything starts: each is bound and let go. Throws
 * {@link PortsInUseError} naming each taken port, its component, and the process holding it where
 * this system can say (Linux /proc); another program answering on a port is never taken for ours.
 */
export async function checkPortsFree(needs: PortNeed[], host: string): Promise<void> {
  const results = await Promise.all(needs.map(async (need) => ({ need, error: await bindError(need.port, host) })));
  const busy = results
    .filter((result) => result.error !== null)
    .map(({ need, error }): BusyPort => {
      const listeners = tcpListeners(need.port);
      const pids = [...new Set((listeners ?? []).flatMap((listener) => listener.holders.map((holder) => holder.pid)))];
      const holder = error === 'EADDRINUSE' ? describeHolders(need.port, listeners) : `no program, but it cannot be bound here (${error})`;
      return { ...need, holder, pids };
    });
  if (busy.length > 0) throw new PortsInUseError(busy);
}
