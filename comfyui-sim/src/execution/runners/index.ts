import { modelNodeRunners, type NodeRunner } from './model-nodes';
import { outputNodeRunners } from './output-nodes';

export type { NodeRunner } from './model-nodes';

const runners: Record<string, NodeRunner> = { ...modelNodeRunners, ...outputNodeRunners };

/** The simulated implementation of a class, or a no-op for classes that only pass data on. */
export function runnerFor(classType: string): NodeRunner {
  return runners[classType] ?? (async (api) => {
    await api.checkpoint();
    return { outputs: [] };
  });
}
