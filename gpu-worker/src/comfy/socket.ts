import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import type { Logger } from '../logger';
import { comfyUrl } from './client';
import { parseComfyMessage, type ComfyMessage } from './messages';

export interface ComfySocketEvents {
  message: [ComfyMessage];
  /** The socket came back after a drop: events sent meanwhile are lost, so followers reconcile from /history. */
  reconnected: [];
}

const PING_EVERY_MS = 15_000;
const MAX_BACKOFF_MS = 5_000;

/**
 * One WebSocket to ComfyUI for the whole worker, under our own clientId, reconnected with backoff.
 * ComfyUI never pings and may be silent for minutes, so we ping and treat a missing pong as a drop.
 */
export class ComfySocket extends EventEmitter<ComfySocketEvents> {
  private socket: WebSocket | null = null;
  private closed = false;
  private attempt = 0;
  private everConnected = false;
  private pingTimer: NodeJS.Timeout | null = null;
  private awaitingPong = false;

  constructor(private readonly baseUrl: string, readonly clientId: string, private readonly log: Logger) {
    super();
  }

  /** Connects and resolves on the first open; later drops reconnect in the background. */
  start(): Promise<void> {
    return new Promise((resolve) => {
      this.once('reconnected', resolve);
      this.connect();
    });
  }

  get connected(): boolean {
    return this.socket?.readyState === WebSocket.OPEN;
  }

  private connect(): void {
    if (this.closed) return;
    const url = new URL(comfyUrl(this.baseUrl, `/ws?clientId=${encodeURIComponent(this.clientId)}`));
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const socket = new WebSocket(url, { maxPayload: 256 * 1024 * 1024 });
    this.socket = socket;
    socket.on('open', () => {
      this.attempt = 0;
      if (this.everConnected) this.log.info('ComfyUI socket reconnected');
      this.everConnected = true;
      this.startPinging(socket);
      this.emit('reconnected');
    });
    socket.on('message', (data, isBinary) => {
      if (isBinary) return;
      const message = parseComfyMessage(Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]).toString('utf8'));
      if (message) this.emit('message', message);
    });
    socket.on('pong', () => {
      this.awaitingPong = false;
    });
    socket.on('error', (error) => this.log.debug({ err: error.message }, 'ComfyUI socket error'));
    socket.on('close', () => {
      this.stopPinging();
      if (this.closed) return;
      const delay = Math.min(MAX_BACKOFF_MS, 250 * 2 ** this.attempt++);
      this.log.warn({ delayMs: delay }, 'ComfyUI socket closed; reconnecting');
      setTimeout(() => this.connect(), delay).unref();
    });
  }

  private startPinging(socket: WebSocket): void {
    this.stopPinging();
    this.pingTimer = setInterval(() => {
      if (this.awaitingPong) {
        this.log.warn('ComfyUI socket missed a pong; dropping it');
        socket.terminate();
        return;
      }
      this.awaitingPong = true;
      socket.ping();
    }, PING_EVERY_MS).unref();
  }

  private stopPinging(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = null;
    this.awaitingPong = false;
  }

  close(): void {
    this.closed = true;
    this.stopPinging();
    this.socket?.terminate();
  }
}
