import { statSync } from 'node:fs';
import path from 'node:path';
import type { HistoryEntry } from '../history';
import { parseAnnotated } from '../outputs/data-dirs';
import { applyFree, type SimCore } from '../sim-core';
import { PyError, PyFloat, pyStr } from '../validation/py-values';
import type { Graph, GraphNode } from '../validation/types';
import { Halted, Interrupted, NodeFailure, PromptLost } from './failures';
import { executionOrder } from './graph-order';
import { createNodeApi, throwIfInterrupted } from './node-api';
import { nodeSignatures } from './output-cache';
import { PromptRun } from './prompt-run';
import { toTuple, type QueuedPrompt } from './queue';
import { runnerFor } from './runners';
import type { NodeResult, SimValue } from './sim-values';

type Outcome = 'success' | 'error' | 'interrupted' | 'lost' | 'halted';

interface RunOutputs {
  ui: Record<string, Record<string, unknown>>;
  meta: Record<string, Record<string, unknown>>;
}

const MODEL_INPUTS: Record<string, string> = { ckpt_name: 'checkpoints', model_name: 'animatediff_models', lora_name: 'loras', vae_name: 'vae' };

/** ComfyUI's prompt worker: takes queued prompts one at a time and executes them. */
export class Executor {
  private current: PromptRun | undefined;
  private loop: Promise<void> | undefined;

  constructor(private readonly core: SimCore) {}

  /** Starts the worker loop; it ends when the simulator's signal aborts. */
  start(): void {
    this.loop ??= this.work();
  }

  /** Resolves once the worker loop has ended. */
  async stopped(): Promise<void> {
    await this.loop;
  }

  /** The prompt executing now. */
  get running(): PromptRun | undefined {
    return this.current;
  }

  /** Interrupts the running prompt (only if it has this id, when one is given). */
  interrupt(promptId?: string): boolean {
    const run = this.current;
    if (!run || (promptId !== undefined && run.promptId !== promptId)) return false;
    run.interrupted = true;
    return true;
  }

  private async work(): Promise<void> {
    const { queue, signal } = this.core;
    while (!signal.aborted) {
      await queue.waitForWork(signal);
      const item = signal.aborted ? undefined : queue.take();
      if (!item) continue;
      await this.execute(item);
      const free = this.core.pendingFree;
      if (free.unloadModels || free.freeMemory) {
        applyFree(this.core, free);
        free.unloadModels = false;
        free.freeMemory = false;
      }
    }
  }

  private async execute(item: QueuedPrompt): Promise<void> {
    const { core } = this;
    const run = new PromptRun(item, core.hub);
    const outputs: RunOutputs = { ui: {}, meta: {} };
    this.current = run;
    core.counters.promptsStarted += 1;
    const log = core.log.child({ promptId: item.promptId });
    log.info({ clientId: run.clientId }, 'prompt started');
    let outcome: Outcome;
    try {
      outcome = await this.executeGraph(run, outputs);
    } catch (error) {
      log.error({ err: error }, 'simulator fault while executing');
      outcome = 'halted';
    } finally {
      this.current = undefined;
    }
    log.info({ outcome }, 'prompt finished');
    if (outcome === 'halted') return;
    if (outcome === 'lost') {
      core.counters.promptsLost += 1;
      core.queue.finish(false);
      return;
    }
    if (outcome === 'success') core.counters.promptsSucceeded += 1;
    else if (outcome === 'interrupted') core.counters.promptsInterrupted += 1;
    else core.counters.promptsFailed += 1;
    const entry: HistoryEntry = {
      prompt: toTuple(item),
      outputs: outputs.ui,
      status: { status_str: outcome === 'success' ? 'success' : 'error', completed: outcome === 'success', messages: run.messages },
      meta: outputs.meta,
    };
    // ComfyUI stores history after execution_success and before the final executing{node:null}.
    core.history.add(item.promptId, entry);
    core.queue.finish();
    run.toClient({ type: 'executing', data: { node: null, prompt_id: item.promptId } });
  }

  private async executeGraph(run: PromptRun, outputs: RunOutputs): Promise<Outcome> {
    const { core } = this;
    const prompt = run.item.prompt;
    run.addMessage('execution_start', { prompt_id: run.promptId });
    const signatures = nodeSignatures(prompt, (nodeId) => this.isChanged(prompt[nodeId]));
    core.cache.retain(signatures.values());
    const values = new Map<string, NodeResult>();
    for (const [nodeId, signature] of signatures) {
      const cached = core.cache.get(signature);
      if (cached) values.set(nodeId, cached);
    }
    const cachedIds = [...values.keys()];
    run.addMessage('execution_cached', { nodes: cachedIds, prompt_id: run.promptId });
    // The vectors report cached nodes as executed: their outputs exist for this prompt.
    const executed = [...cachedIds];
    const order = executionOrder(prompt, run.item.outputs, (nodeId) => values.has(nodeId));

    let nodeId = '';
    try {
      for (nodeId of order) {
        const node = prompt[nodeId] as GraphNode;
        let result = values.get(nodeId);
        if (!result) {
          run.startNode(nodeId);
          throwIfInterrupted(run);
          const inputs = resolveInputs(node, values);
          const api = createNodeApi(core, run, nodeId, node.class_type, () => this.missingPath(inputs));
          result = await runnerFor(node.class_type)(api, inputs);
          values.set(nodeId, result);
          core.cache.set(signatures.get(nodeId) as string, result);
          executed.push(nodeId);
          core.counters.nodesExecuted += 1;
        }
        if (result.ui) {
          run.toClient({ type: 'executed', data: { node: nodeId, display_node: nodeId, output: result.ui, prompt_id: run.promptId } });
          outputs.ui[nodeId] = result.ui;
          outputs.meta[nodeId] = { node_id: nodeId, display_node: nodeId, parent_node: null, real_node_id: nodeId };
        }
        run.finishNode(nodeId);
      }
      run.currentNode = undefined;
      run.addMessage('execution_success', { prompt_id: run.promptId });
      return 'success';
    } catch (error) {
      run.currentNode = undefined;
      if (error instanceof Halted || core.signal.aborted) return 'halted';
      if (error instanceof PromptLost) return 'lost';
      const nodeType = prompt[nodeId]?.class_type ?? '';
      if (error instanceof Interrupted) {
        run.addMessage('execution_interrupted', { prompt_id: run.promptId, node_id: nodeId, node_type: nodeType, executed }, true);
        return 'interrupted';
      }
      const failure = toFailure(error);
      if (failure.details.outOfMemory) core.loadedModels.clear();
      run.addMessage('execution_error', {
        prompt_id: run.promptId,
        node_id: nodeId,
        node_type: nodeType,
        executed,
        exception_message: `${failure.message}\n${failure.details.tips ?? ''}`,
        exception_type: failure.exceptionType,
        traceback: failure.details.traceback ?? ['  File "/comfyui/execution.py", line 496, in execute\n'],
        current_inputs: this.formatInputs(prompt, nodeId),
        current_outputs: cachedIds,
      });
      return 'error';
    }
  }

  /** IS_CHANGED: LoadImage reruns when its file changes. */
  private isChanged(node: GraphNode | undefined): unknown {
    if (node?.class_type !== 'LoadImage' || typeof node.inputs.image !== 'string') return undefined;
    const { name, type } = parseAnnotated(node.inputs.image);
    try {
      const stat = statSync(path.join(this.core.dirs[type ?? 'input'], name));
      return [stat.size, stat.mtimeMs];
    } catch {
      return 'missing';
    }
  }

  /** The file a FileNotFoundError fault names: the node's model file, else an input file. */
  private missingPath(inputs: Record<string, unknown>): string {
    for (const [input, folder] of Object.entries(MODEL_INPUTS)) {
      if (typeof inputs[input] === 'string') return path.join(this.core.dirs.root, 'models', folder, inputs[input]);
    }
    const model = Object.values(inputs).find((v): v is Extract<SimValue, { kind: 'model' }> => isSimValue(v) && v.kind === 'model');
    if (model) return path.join(this.core.dirs.root, 'models', 'checkpoints', model.checkpoint);
    return path.join(this.core.dirs.input, 'missing.png');
  }

  /** `current_inputs` of execution_error: widget values as Python prints them. */
  private formatInputs(prompt: Graph, nodeId: string): Record<string, string[]> {
    const node = prompt[nodeId];
    const definition = node && this.core.catalogue.get(node.class_type);
    const specs = { ...definition?.input.required, ...definition?.input.optional };
    const out: Record<string, string[]> = {};
    for (const [name, value] of Object.entries(node?.inputs ?? {})) {
      if (Array.isArray(value)) continue;
      const isFloat = specs[name]?.[0] === 'FLOAT' && typeof value === 'number';
      out[name] = [pyStr(isFloat ? new PyFloat(value) : value)];
    }
    return out;
  }
}

function isSimValue(value: unknown): value is SimValue {
  return value !== null && typeof value === 'object' && 'kind' in value;
}

function resolveInputs(node: GraphNode, values: Map<string, NodeResult>): Record<string, unknown> {
  const inputs: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(node.inputs)) {
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'string') {
      inputs[name] = values.get(value[0])?.outputs[Number(value[1])];
    } else {
      inputs[name] = value;
    }
  }
  return inputs;
}

function toFailure(error: unknown): NodeFailure {
  if (error instanceof NodeFailure) return error;
  if (error instanceof PyError) return new NodeFailure(error.type, error.message);
  return new NodeFailure('Exception', error instanceof Error ? error.message : String(error));
}
