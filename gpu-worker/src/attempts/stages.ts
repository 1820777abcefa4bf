import { percentFor, type Stage } from '@vidgen/contract';
import type { Graph } from '../comfy/client';
import type { ProgressUpdate } from '@vidgen/contract';

const STAGE_OF_CLASS: Record<string, Stage> = {
  KSampler: 'sampling',
  KSamplerAdvanced: 'sampling',
  SamplerCustom: 'sampling',
  VAEDecode: 'decoding',
  VHS_VideoCombine: 'encoding',
  CreateVideo: 'encoding',
  SaveVideo: 'encoding',
  SaveAnimatedWEBP: 'encoding',
};

/** The progress stage of a node by its class: loaders and encoders before sampling count as loading. */
export function stageOfNode(graph: Graph, nodeId: string): Stage {
  const classType = graph[nodeId]?.class_type ?? '';
  return STAGE_OF_CLASS[classType] ?? 'loading_models';
}

/**
 * Turns ComfyUI's node and step events into the job's progress with an ETA. Sampler steps set the
 * pace: the ETA is the time per step so far times the steps left, plus the decode and encode that follow.
 */
export class ProgressTracker {
  private stage: Stage = 'starting';
  private samplingStartedAt = 0;
  private samplers = new Set<string>();

  constructor(private readonly graph: Graph, private readonly emit: (update: ProgressUpdate) => void) {
    this.samplers = new Set(Object.keys(graph).filter((id) => stageOfNode(graph, id) === 'sampling'));
  }

  node(nodeId: string): void {
    const stage = stageOfNode(this.graph, nodeId);
    if (stage === 'loading_models' && this.stage !== 'starting' && this.stage !== 'loading_models') return;
    this.setStage(stage, null, null, null);
  }

  progress(nodeId: string | null, value: number, max: number): void {
    if (nodeId && !this.samplers.has(nodeId)) return;
    if (this.stage !== 'sampling') this.setStage('sampling', null, null, null);
    if (value <= 1) this.samplingStartedAt = Date.now();
    const perStep = value > 1 ? (Date.now() - this.samplingStartedAt) / (value - 1) : null;
    const eta = perStep === null ? null : Math.round(((max - value) * perStep * 1.15) / 100) / 10;
    this.emit({ stage: 'sampling', step: value, totalSteps: max, percent: percentFor('sampling', value, max), etaSeconds: eta });
  }

  setStage(stage: Stage, step: number | null, totalSteps: number | null, etaSeconds: number | null): void {
    this.stage = stage;
    if (stage === 'sampling' && this.samplingStartedAt === 0) this.samplingStartedAt = Date.now();
    this.emit({ stage, step, totalSteps, percent: percentFor(stage, step, totalSteps), etaSeconds });
  }
}
