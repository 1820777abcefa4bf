import type { Logger } from 'pino';
import type { RequestLog } from '../shared/request-log';
import type { BillingLedger } from './billing-ledger';
import type { PodFleet } from './pod-fleet';
import type { RunpodSettings } from './runpod-options';
import type { RunpodScript } from './runpod-script';

/** Counters `GET /sim/state` reports. */
export interface RunpodCounters {
  podsCreated: number;
  capacityRefusals: number;
  authFailures: number;
  rateLimited: number;
  serverErrors: number;
}

/** What the routes share. */
export interface RunpodCore {
  settings: RunpodSettings;
  log: Logger;
  fleet: PodFleet;
  ledger: BillingLedger;
  script: RunpodScript;
  requests: RequestLog;
  counters: RunpodCounters;
}

export function newRunpodCounters(): RunpodCounters {
  return { podsCreated: 0, capacityRefusals: 0, authFailures: 0, rateLimited: 0, serverErrors: 0 };
}
