import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { RequestLog } from '../shared/request-log';
import type { ScriptBook } from '../shared/script-book';
import type { VeoFileStore } from './veo-files';
import type { VeoOperationStore } from './veo-operations';
import type { VeoSettings } from './veo-options';
import type { VeoScriptSpec } from './veo-script';

/** What the Veo simulator counts. */
export interface VeoCounters {
  createRequests: number;
  operationsCreated: number;
  rateLimited: number;
  serverErrors: number;
  badRequests: number;
  authFailures: number;
  polls: number;
  downloads: number;
}

/** Everything the Veo routes share. */
export interface VeoCore {
  settings: VeoSettings;
  log: Logger;
  dataDir: string;
  files: VeoFileStore;
  operations: VeoOperationStore;
  script: ScriptBook<VeoScriptSpec>;
  requests: RequestLog;
  /** What a route wants `/sim/state` to remember about a request. */
  details: WeakMap<FastifyRequest, Record<string, unknown>>;
  counters: VeoCounters;
}

/** Zeroed counters. */
export function newVeoCounters(): VeoCounters {
  return { createRequests: 0, operationsCreated: 0, rateLimited: 0, serverErrors: 0, badRequests: 0, authFailures: 0, polls: 0, downloads: 0 };
}
