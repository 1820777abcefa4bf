import type { Tier } from '@vidgen/contract';
import { fitModels, modelsOnHand } from './comfy/model-choice';
import type { WorkerServices } from './services';

export interface WorkflowReadiness {
  tier: Tier;
  ready: boolean;
  missingNodes: string[];
  missingModels: string[];
  modelsPresent: string[];
}

export interface ComfyReport {
  reachable: boolean;
  error?: string;
  comfyuiVersion: string | null;
  gpu: { name: string; vramTotal: number | null; vramFree: number | null } | null;
  queue: { running: number; pending: number } | null;
  modelFolders: Record<string, number>;
  workflows: WorkflowReadiness[];
}

const MODEL_FOLDERS = ['checkpoints', 'animatediff_models', 'vae', 'loras'];

/** What ComfyUI can do right now: reachable, its GPU, its queue, and which workflows it has everything for. */
export async function inspectComfy(services: WorkerServices): Promise<ComfyReport> {
  const { comfy, checker, workflows } = services;
  try {
    const stats = await comfy.systemStats();
    const queue = await comfy.queue();
    const device = stats.devices[0];
    const modelFolders = Object.fromEntries(
      await Promise.all(MODEL_FOLDERS.map(async (folder) => [folder, (await comfy.models(folder)).length] as const)),
    );
    const onHand = await modelsOnHand(comfy);
    const readiness = await Promise.all(
      Object.values(workflows).map(async (workflow): Promise<WorkflowReadiness> => {
        const report = await checker.inspect(fitModels(workflow.template, onHand));
        return {
          tier: workflow.tier,
          ready: report.missingNodes.length === 0 && report.missingModels.length === 0,
          missingNodes: report.missingNodes,
          missingModels: report.missingModels,
          modelsPresent: report.modelsPresent,
        };
      }),
    );
    return {
      reachable: true,
      comfyuiVersion: stats.system.comfyui_version ?? null,
      gpu: device ? { name: device.name, vramTotal: device.vram_total ?? null, vramFree: device.vram_free ?? null } : null,
      queue: { running: queue.running.length, pending: queue.pending.length },
      modelFolders,
      workflows: readiness,
    };
  } catch (error) {
    return { reachable: false, error: (error as Error).message, comfyuiVersion: null, gpu: null, queue: null, modelFolders: {}, workflows: [] };
  }
}
