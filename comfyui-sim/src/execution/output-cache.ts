import { createHash } from 'node:crypto';
import type { Graph } from '../validation/types';
import type { NodeResult } from './sim-values';

function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${stableStringify((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * Each node's cache key, as ComfyUI's input-signature cache builds it: class, widget values, the
 * keys of linked nodes and the node's IS_CHANGED value, so an unchanged subgraph is reused.
 */
export function nodeSignatures(prompt: Graph, isChanged: (nodeId: string) => unknown): Map<string, string> {
  const signatures = new Map<string, string>();
  const visit = (nodeId: string, path: Set<string>): string => {
    const known = signatures.get(nodeId);
    if (known) return known;
    const node = prompt[nodeId];
    if (!node || path.has(nodeId)) return `missing:${nodeId}`;
    path.add(nodeId);
    const inputs: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(node.inputs)) {
      inputs[name] = Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' ? ['link', visit(value[0], path), value[1]] : value;
    }
    path.delete(nodeId);
    const signature = createHash('sha256').update(stableStringify([node.class_type, inputs, isChanged(nodeId)])).digest('hex');
    signatures.set(nodeId, signature);
    return signature;
  };
  for (const nodeId of Object.keys(prompt)) visit(nodeId, new Set());
  return signatures;
}

/** Node results kept from the last prompt, as ComfyUI's classic output cache. */
export class OutputCache {
  private entries = new Map<string, NodeResult>();

  /** Keeps only the entries the new prompt can use (ComfyUI drops the rest at prompt start). */
  retain(signatures: Iterable<string>): void {
    const keep = new Set(signatures);
    for (const key of [...this.entries.keys()]) if (!keep.has(key)) this.entries.delete(key);
  }

  /** The cached result for a signature. */
  get(signature: string): NodeResult | undefined {
    return this.entries.get(signature);
  }

  /** Caches a node's result. */
  set(signature: string, result: NodeResult): void {
    this.entries.set(signature, result);
  }

  /** Drops everything (`/free` with free_memory). */
  clear(): void {
    this.entries.clear();
  }

  /** How many node results are cached. */
  get size(): number {
    return this.entries.size;
  }
}
