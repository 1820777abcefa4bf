import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { RequestLog } from '../shared/request-log';
import type { ScriptBook } from '../shared/script-book';
import type { PredictionStore } from './prediction-record';
import type { PredictionRunner } from './prediction-runner';
import type { ReplicateModelKind } from './replicate-models';
import type { ReplicateSettings } from './replicate-options';
import type { ReplicateScriptSpec } from './replicate-script';

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
  runner: PredictionRunner;
  script: ScriptBook<ReplicateScriptSpec>;
  requests: RequestLog;
  details: WeakMap<FastifyRequest, Record<string, unknown>>;
  counters: ReplicateCounters;
}

/** Zeroed counters. */
export function newReplicateCounters(): ReplicateCounters {
  return { createRequests: 0, predictionsCreated: 0, rateLimited: 0, serverErrors: 0, validationErrors: 0, authFailures: 0, gets: 0, cancels: 0, webhooksSent: 0, webhooksFailed: 0, downloads: 0 };
}
