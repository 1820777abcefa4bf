import { extname } from 'node:path';
import { JobError, resolveTierParams, type ClaimedJob } from '@vidgen/contract';
import { readReferenceImage } from '@vidgen/runner';
import type { Graph } from '../comfy/client';
import { animateDiffValues, buildAnimateDiffGraph, buildSvdGraph, svdValues } from '../comfy/workflows';
import { fitModels, modelsOnHand } from '../comfy/model-choice';
import type { WorkerServices } from '../services';

/** The stem of every file an attempt makes ComfyUI write or read: unique per job and attempt. */
export function attemptStem(jobId: string, attemptIndex: number): string {
  return `${jobId}-a${attemptIndex}`;
}

/** The save nodes' `filename_prefix`: our own subfolder of ComfyUI's output folder, then the stem. */
export function attemptFilenamePrefix(jobId: string, attemptIndex: number): string {
  return `vidgen/${attemptStem(jobId, attemptIndex)}`;
}

/**
 * The ComfyUI graph for the job's current attempt, fitted to the models ComfyUI has (v2 motion
 * module without v3, no detail LoRA or SDXL VAE without their files). SVD with a reference image first copies the
 * image from Storage into ComfyUI's input folder (`/upload/image`) and uses the name ComfyUI returns.
 */
export async function prepareGraph(services: WorkerServices, job: ClaimedJob, jobId: string): Promise<Graph> {
  return fitModels(await tierGraph(services, job, jobId), await modelsOnHand(services.comfy));
}

async function tierGraph(services: WorkerServices, job: ClaimedJob, jobId: string): Promise<Graph> {
  const attempt = job.attempt;
  const params = resolveTierParams(attempt.tier, job.request);
  const seed = job.request.seed ?? Math.floor(Math.random() * 2 ** 32);
  const request = { ...job.request, seed };
  const prefix = attemptFilenamePrefix(jobId, attempt.index);
  switch (attempt.tier) {
    case 'animatediff':
      return buildAnimateDiffGraph(services.workflows.animatediff, animateDiffValues(params, request, prefix));
    case 'svd': {
      const path = job.request.referenceImagePath;
      if (!path) return buildSvdGraph(services.workflows.svd, svdValues(params, request, prefix, null), 'text');
      const image = await readReferenceImage(services.store, path);
      const name = await services.comfy.uploadImage(`${attemptStem(jobId, attempt.index)}${extname(path).toLowerCase()}`, new Blob([image.bytes], { type: image.mimeType }));
      return buildSvdGraph(services.workflows.svd, svdValues(params, request, prefix, name), 'image');
    }
    case 'veo':
      throw new JobError('tier_unavailable', 'Veo does not run on GPU workers.');
  }
}
