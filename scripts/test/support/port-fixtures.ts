import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A port nobody listens on now (the OS's pick, let go at once). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** An HTTP server in this process answering every request with `body`: "another program" to a child. */
export function foreignServer(port: number, body = 'not yours'): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((_request, response) => response.end(body));
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Node source for a child that serves `body` on 127.0.0.1:PORT (its first argument) and says "listening". */
export const SERVE_SCRIPT = `
const port = Number(process.argv[1]);
require('node:http').createServer((q, r) => r.end(process.argv[2] || 'Ok')).listen(port, '127.0.0.1', () => console.log('listening on ' + port));
`;

/** A separate process holding `port` (a tiny node server), resolved once it listens. */
export function holdPort(port: number): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', SERVE_SCRIPT, String(port), 'held'], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the port holder exited (code ${code})`)));
    child.stdout.once('data', () => resolve(child));
  });
}

export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}
