import type { Logger } from 'pino';
import type WebSocket from 'ws';
import type { ComfyWsMessage, QueueStatus } from './messages';
import { SentEventLog } from './sent-events';

/**
 * The connected WebSocket clients by clientId, as ComfyUI's `sockets` dict: one socket per id, a
 * newer connection replacing the older, messages for a missing id dropped.
 */
export class ClientHub {
  private readonly sockets = new Map<string, WebSocket>();
  /** Prompt messages written to sockets, with their send times (`GET /sim/events`). */
  readonly sent = new SentEventLog();

  constructor(private readonly log: Logger) {}

  /** Registers a socket under its clientId, replacing any earlier one. */
  attach(clientId: string, socket: WebSocket): void {
    const previous = this.sockets.get(clientId);
    if (previous && previous !== socket) this.log.debug({ clientId }, 'socket replaced by a newer connection');
    this.sockets.set(clientId, socket);
    socket.on('close', () => {
      // Only forget the id if a newer socket has not taken it over meanwhile.
      if (this.sockets.get(clientId) === socket) this.sockets.delete(clientId);
    });
  }

  /** Sends to one client, or to every client when `clientId` is undefined. */
  send(clientId: string | undefined, message: ComfyWsMessage): void {
    if (clientId === undefined) {
      this.broadcast(message);
      return;
    }
    const socket = this.sockets.get(clientId);
    this.sent.record(message, socket && this.write(socket, message) ? 1 : 0);
  }

  /** Sends to every connected client. */
  broadcast(message: ComfyWsMessage): void {
    let recipients = 0;
    for (const socket of this.sockets.values()) if (this.write(socket, message)) recipients += 1;
    this.sent.record(message, recipients);
  }

  /** The queue status message ComfyUI broadcasts whenever the queue changes. */
  broadcastStatus(status: QueueStatus): void {
    this.broadcast({ type: 'status', data: { status } });
  }

  /** Drops a client's socket without a close handshake (a network failure, as seen by the client). */
  terminate(clientId: string): boolean {
    const socket = this.sockets.get(clientId);
    if (!socket) return false;
    this.sockets.delete(clientId);
    socket.terminate();
    return true;
  }

  /** Drops every socket. */
  terminateAll(): void {
    for (const socket of this.sockets.values()) socket.terminate();
    this.sockets.clear();
  }

  /** How many clients are connected. */
  get size(): number {
    return this.sockets.size;
  }

  /** Writes to an open socket; false when it is not open. */
  private write(socket: WebSocket, message: ComfyWsMessage): boolean {
    if (socket.readyState !== socket.OPEN) return false;
    socket.send(JSON.stringify(message));
    return true;
  }
}
