import type { Prediction, WebhookEvent } from './prediction';
import type { KindPlan, ReplicateModelKind } from './replicate-models';
import type { ReplicateOutcome } from './replicate-script';

/** A prediction's webhook: where, which events, and the delivery chain that keeps them in order. */
export interface WebhookSubscription {
  url: string;
  events: ReadonlySet<WebhookEvent>;
  chain: Promise<void>;
  lastLogsAt: number;
  logsTimer?: NodeJS.Timeout;
}

/** One webhook delivery attempt, as `/sim/state` lists it. */
export interface WebhookDelivery {
  at: string;
  predictionId: string;
  event: WebhookEvent;
  webhookId: string;
  attempt: number;
  status: PredictionStatusAtSend;
  /** The receiver's HTTP status, or the error when it could not be reached. */
  result: number | string;
}

type PredictionStatusAtSend = Prediction['status'];

/** A prediction with the simulator's bookkeeping. */
export interface PredictionRecord {
  /** The JSON the API returns, kept current. */
  prediction: Prediction;
  kind: ReplicateModelKind;
  plan: KindPlan;
  outcome: Exclude<ReplicateOutcome, 'rate_limited_then_success'>;
  scriptId?: number;
  /** GETs still to answer with 500 (server_error). */
  serverErrorsLeft: number;
  /** The error a failed prediction reports. */
  failure?: string;
  /** Time spent processing. */
  predictMs: number;
  /** Base URL of the create request, for the output URL. */
  baseUrl: string;
  createdAtMs: number;
  startedAtMs?: number;
  filePath?: string;
  timer?: NodeJS.Timeout;
  /** Called after every change (for `Prefer: wait` and the event stream). */
  listeners: Set<() => void>;
  webhook?: WebhookSubscription;
  deliveries: WebhookDelivery[];
}

/** The predictions, by id. */
export class PredictionStore {
  private readonly records = new Map<string, PredictionRecord>();

  add(record: PredictionRecord): void {
    this.records.set(record.prediction.id, record);
  }

  get(id: string): PredictionRecord | undefined {
    return this.records.get(id);
  }

  list(): PredictionRecord[] {
    return [...this.records.values()];
  }
}
