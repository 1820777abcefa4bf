import type { ClientHub } from '../ws/client-hub';
import type { ComfyWsMessage, NodeProgressEntry } from '../ws/messages';
import type { QueuedPrompt } from './queue';

/** The state of the prompt being executed, and the messages it sends. */
export class PromptRun {
  /** Set by `POST /interrupt`; takes effect at the next progress check. */
  interrupted = false;
  /** The node executing now (sent to a client that reconnects). */
  currentNode: string | undefined;
  /** History's `status.messages`. */
  readonly messages: Array<[string, Record<string, unknown>]> = [];
  /** CLIPTextEncode texts, matched by faults' `promptContains`. */
  readonly texts: string[];
  private readonly progress = new Map<string, Pick<NodeProgressEntry, 'value' | 'max' | 'state'>>();

  constructor(
    readonly item: QueuedPrompt,
    private readonly hub: ClientHub,
  ) {
    this.texts = Object.values(item.prompt)
      .filter((node) => node.class_type === 'CLIPTextEncode' && typeof node.inputs.text === 'string')
      .map((node) => node.inputs.text as string);
  }

  /** The socket id events go to (the prompt's `client_id`). */
  get clientId(): string | undefined {
    const id = this.item.extraData.client_id;
    return typeof id === 'string' ? id : undefined;
  }

  get promptId(): string {
    return this.item.promptId;
  }

  /** ComfyUI's add_message: recorded for history, sent to the client (or everyone when `broadcast`). */
  addMessage(event: 'execution_start' | 'execution_cached' | 'execution_success' | 'execution_error' | 'execution_interrupted', data: Record<string, unknown>, broadcast = false): void {
    const stamped = { ...data, timestamp: Date.now() };
    this.messages.push([event, stamped]);
    if (this.clientId !== undefined || broadcast) this.hub.send(this.clientId, { type: event, data: stamped } as ComfyWsMessage);
  }

  /** Messages ComfyUI sends only when the prompt has a client_id (executing, executed). */
  toClient(message: ComfyWsMessage): void {
    if (this.clientId !== undefined) this.hub.send(this.clientId, message);
  }

  /** Messages ComfyUI sends to the client_id, or to everyone without one (progress, progress_state). */
  toClientOrAll(message: ComfyWsMessage): void {
    this.hub.send(this.clientId, message);
  }

  /** A node starts: progress_state, then `executing`. */
  startNode(nodeId: string): void {
    this.progress.set(nodeId, { value: 0, max: 1, state: 'running' });
    this.sendProgressState();
    this.currentNode = nodeId;
    this.toClient({ type: 'executing', data: { node: nodeId, display_node: nodeId, prompt_id: this.promptId } });
  }

  /** A progress tick: progress_state, then `progress`. */
  updateProgress(nodeId: string, value: number, max: number): void {
    this.progress.set(nodeId, { value, max, state: 'running' });
    this.sendProgressState();
    this.toClientOrAll({ type: 'progress', data: { value, max, prompt_id: this.promptId, node: nodeId } });
  }

  /** A node is done: progress_state with it finished. */
  finishNode(nodeId: string): void {
    const max = this.progress.get(nodeId)?.max ?? 1;
    this.progress.set(nodeId, { value: max, max, state: 'finished' });
    this.sendProgressState();
  }

  private sendProgressState(): void {
    const nodes: Record<string, NodeProgressEntry> = {};
    for (const [nodeId, entry] of this.progress) {
      nodes[nodeId] = { ...entry, node_id: nodeId, prompt_id: this.promptId, display_node_id: nodeId, parent_node_id: null, real_node_id: nodeId };
    }
    this.toClientOrAll({ type: 'progress_state', data: { prompt_id: this.promptId, nodes } });
  }
}
