import type { Logger } from 'pino';
import type { Catalogue } from './catalogue/catalogue';
import type { ModelFolders } from './catalogue/models';
import type { OutputCache } from './execution/output-cache';
import type { PromptQueue } from './execution/queue';
import type { FaultStore } from './faults/faults';
import type { History } from './history';
import type { Timing } from './options';
import type { DataDirs } from './outputs/data-dirs';
import type { VideoWriter } from './outputs/video-writer';
import type { ClientHub } from './ws/client-hub';

/** A model file held "in VRAM" after a loader read it. */
export interface LoadedModel {
  folder: string;
  file: string;
  sizeBytes: number;
}

/** Running totals, reported by `GET /sim/state`. */
export interface Counters {
  promptsAccepted: number;
  promptsRejected: number;
  promptsStarted: number;
  promptsSucceeded: number;
  promptsFailed: number;
  promptsInterrupted: number;
  promptsLost: number;
  nodesExecuted: number;
  faultsFired: number;
  filesWritten: number;
}

/** Memory release asked for with `POST /free`, applied between prompts. */
export interface FreeRequest {
  unloadModels: boolean;
  freeMemory: boolean;
}

/** The state one simulator instance shares between its routes and its executor. */
export interface SimCore {
  readonly dirs: DataDirs;
  readonly catalogue: Catalogue;
  readonly models: ModelFolders;
  timing: Timing;
  readonly loadedModels: Map<string, LoadedModel>;
  readonly hub: ClientHub;
  readonly queue: PromptQueue;
  readonly history: History;
  readonly faults: FaultStore;
  readonly cache: OutputCache;
  readonly writer: VideoWriter;
  readonly counters: Counters;
  readonly log: Logger;
  /** Aborted when the simulator stops: cuts every simulated wait and ffmpeg run. */
  readonly signal: AbortSignal;
  readonly pendingFree: FreeRequest;
  /** The `exit` fault: tear the server down at once and report exit code 1. */
  die(): void;
}

/** Fresh counters. */
export function newCounters(): Counters {
  return {
    promptsAccepted: 0,
    promptsRejected: 0,
    promptsStarted: 0,
    promptsSucceeded: 0,
    promptsFailed: 0,
    promptsInterrupted: 0,
    promptsLost: 0,
    nodesExecuted: 0,
    faultsFired: 0,
    filesWritten: 0,
  };
}

/** Applies a `/free` request: unload models, and drop cached node outputs. */
export function applyFree(core: SimCore, request: FreeRequest): void {
  if (request.unloadModels || request.freeMemory) core.loadedModels.clear();
  if (request.freeMemory) core.cache.clear();
}
