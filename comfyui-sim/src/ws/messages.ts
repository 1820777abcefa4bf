/** Queue state as ComfyUI's `status` message carries it. */
export interface QueueStatus {
  exec_info: { queue_remaining: number };
}

/** A JSON WebSocket message from ComfyUI: `{type, data}`, discriminated on `type`. */
export type ComfyWsMessage =
  | { type: 'status'; data: { status: QueueStatus; sid?: string } }
  | { type: 'execution_start'; data: { prompt_id: string; timestamp: number } }
  | { type: 'execution_cached'; data: { nodes: string[]; prompt_id: string; timestamp: number } }
  | { type: 'executing'; data: { node: string | null; display_node?: string; prompt_id?: string } }
  | { type: 'progress'; data: { value: number; max: number; prompt_id: string; node: string } }
  | { type: 'progress_state'; data: { prompt_id: string; nodes: Record<string, NodeProgressEntry> } }
  | { type: 'executed'; data: { node: string; display_node: string; output: unknown; prompt_id: string } }
  | { type: 'execution_success'; data: { prompt_id: string; timestamp: number } }
  | { type: 'execution_error'; data: ExecutionErrorData }
  | { type: 'execution_interrupted'; data: ExecutionInterruptedData }
  | { type: 'feature_flags'; data: Record<string, unknown> };

/** One node's entry in a `progress_state` message. */
export interface NodeProgressEntry {
  value: number;
  max: number;
  state: 'running' | 'finished';
  node_id: string;
  prompt_id: string;
  display_node_id: string;
  parent_node_id: null;
  real_node_id: string;
}

/** `execution_error` data, also stored in history messages. */
export interface ExecutionErrorData {
  prompt_id: string;
  node_id: string;
  node_type: string;
  executed: string[];
  exception_message: string;
  exception_type: string;
  traceback: string[];
  current_inputs: Record<string, string[]>;
  current_outputs: string[];
  timestamp: number;
}

/** `execution_interrupted` data, also stored in history messages. */
export interface ExecutionInterruptedData {
  prompt_id: string;
  node_id: string;
  node_type: string;
  executed: string[];
  timestamp: number;
}
