import type { Graph } from '../validation/types';

function compareIds(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (Number.isFinite(na) && Number.isFinite(nb) && na !== nb) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}

function linkedIds(prompt: Graph, nodeId: string): string[] {
  const ids: string[] = [];
  for (const value of Object.values(prompt[nodeId]?.inputs ?? {})) {
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && prompt[value[0]]) ids.push(value[0]);
  }
  return ids;
}

/**
 * The nodes to run and their order: the output nodes and every uncached node they depend on
 * (cached nodes are not visited, as in ComfyUI's ExecutionList), in dependency order with lower
 * ids first among the ready ones.
 */
export function executionOrder(prompt: Graph, outputs: readonly string[], isCached: (nodeId: string) => boolean): string[] {
  const needed = new Set<string>();
  const stack = [...outputs];
  while (stack.length > 0) {
    const nodeId = stack.pop() as string;
    if (needed.has(nodeId)) continue;
    needed.add(nodeId);
    for (const from of linkedIds(prompt, nodeId)) if (!isCached(from)) stack.push(from);
  }

  const blockers = new Map<string, Set<string>>();
  for (const nodeId of needed) blockers.set(nodeId, new Set(linkedIds(prompt, nodeId).filter((id) => needed.has(id))));
  const order: string[] = [];
  while (blockers.size > 0) {
    const ready = [...blockers].filter(([, deps]) => deps.size === 0).map(([id]) => id).sort(compareIds);
    // Validation rejects cycles, so something is always ready; guard anyway.
    const next = ready[0] ?? [...blockers.keys()].sort(compareIds)[0];
    if (next === undefined) break;
    order.push(next);
    blockers.delete(next);
    for (const deps of blockers.values()) deps.delete(next);
  }
  return order;
}
