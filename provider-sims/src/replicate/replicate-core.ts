import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { RequestLog } from '../shared/request-log';
import type { ScriptBook } from '../shared/script-book';
import type { PredictionStore } from './prediction-record';
import type { PredictionRunner } from './prediction-runner';
import type { ReplicateModelKind } from './replicate-models';
import type { ReplicateSettings } from './replicate-options';
import type { ReplicateScriptSpec } from './replicate-script';
import type { UploadedFiles } from './uploaded-files';

/** What the Replicate simulator counts. */
export interface ReplicateCounters {
  createRequests: number;
  predictionsCreated: number;
  rateLimited: number;
  serverErrors: number;
  validationErrors: number;
  authFailures: number;
  gets: number;
  cancels: number;
  webhooksSent: number;
  webhooksFailed: number;
  downloads: number;
  filesCreated: number;
}

/** One `POST /v1/predictions/{id}/cancel` as the simulator received it, for tests that prove a cancel arrived. */
export interface CancelCall {
  at: string;
  predictionId: string;
  /** The prediction's status when the cancel arrived (already final: the cancel changed nothing). */
  statusBefore: string;
  statusAfter: string;
  /** What the canceled prediction bills (`metrics.predict_time`, seconds); absent when it never ran. */
  predictTime: number | null;
}

/** Everything the Replicate routes share. */
export interface ReplicateCore {
  settings: ReplicateSettings;
  log: Logger;
  dataDir: string;
  /** Version id → kind (defaults plus the `versions` option). */
  versions: Readonly<Record<string, ReplicateModelKind>>;
  webhookSecret: string;
  predictions: PredictionStore;
  /** What `POST /v1/files` stored. */
  files: UploadedFiles;
  runner: PredictionRunner;
  script: ScriptBook<ReplicateScriptSpec>;
  requests: RequestLog;
  details: WeakMap<FastifyRequest, Record<string, unknown>>;
  counters: ReplicateCounters;
  /** Every cancel call, in order (unbounded, unlike `requests`). */
  cancelCalls: CancelCall[];
}

/** Zeroed counters. */
export function newReplicateCounters(): ReplicateCounters {
  return { createRequests: 0, predictionsCreated: 0, rateLimited: 0, serverErrors: 0, validationErrors: 0, authFailures: 0, gets: 0, cancels: 0, webhooksSent: 0, webhooksFailed: 0, downloads: 0, filesCreated: 0 };
}
