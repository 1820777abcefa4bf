/** One error in a `/prompt` 400 body, as ComfyUI builds it. */
export interface ValidationError {
  type: string;
  message: string;
  details: string;
  extra_info: Record<string, unknown>;
}

/** The `node_errors` entry for one node. */
export interface NodeError {
  errors: ValidationError[];
  dependent_outputs: string[];
  class_type: string;
}

/** `node_errors` of a `/prompt` answer, keyed by node id. */
export type NodeErrors = Record<string, NodeError>;

/** A node of an API-format graph after the class_type check. */
export interface GraphNode {
  class_type: string;
  inputs: Record<string, unknown>;
  _meta?: unknown;
  [key: string]: unknown;
}

/** An API-format graph: node id to node. */
export type Graph = Record<string, GraphNode>;

/** The outcome of validating a prompt: the outputs to execute, or the 400 body's parts. */
export type PromptValidation =
  | { ok: true; outputs: string[]; nodeErrors: NodeErrors }
  | { ok: false; error: ValidationError; nodeErrors: NodeErrors };
