import type { Logger } from 'pino';
import { webhookMessageId } from '../shared/ids';
import { isLoopbackUrl } from '../shared/loopback';
import { isTerminal, type WebhookEvent } from './prediction';
import type { PredictionRecord, WebhookDelivery } from './prediction-record';
import { signWebhook } from './webhook-signature';

/** Events sent when a prediction names a webhook but no `webhook_events_filter`, as Replicate does. */
export const DEFAULT_WEBHOOK_EVENTS: readonly WebhookEvent[] = ['output', 'completed'];

const DELIVERY_TIMEOUT_MS = 5000;
/** Delays before re-sending a `completed` webhook the receiver did not accept; only that one is retried. */
const COMPLETED_RETRY_DELAYS_MS = [250, 500, 1000];

/** What the sender reports to the simulator. */
export interface WebhookSenderHooks {
  delivered(delivery: WebhookDelivery, ok: boolean): void;
}

/**
 * Posts predictions to their webhooks as Replicate does: in order per prediction, `logs` at most
 * once per `logsIntervalMs` (the latest logs win), signed with `webhook-id`, `webhook-timestamp` and
 * `webhook-signature`; a `completed` webhook the receiver does not take is retried. It only ever
 * calls loopback URLs.
 */
export class WebhookSender {
  private readonly chains = new Set<Promise<void>>();

  constructor(
    private readonly secret: string,
    private readonly logsIntervalMs: number,
    private readonly log: Logger,
    private readonly signal: AbortSignal,
    private readonly hooks: WebhookSenderHooks,
  ) {}

  /** Sends `event` for the prediction if its webhook asked for it. */
  notify(record: PredictionRecord, event: WebhookEvent): void {
    const subscription = record.webhook;
    if (!subscription || !subscription.events.has(event) || this.signal.aborted) return;
    if (event === 'logs') {
      this.throttleLogs(record);
      return;
    }
    if (event === 'completed' && subscription.logsTimer) {
      clearTimeout(subscription.logsTimer);
      subscription.logsTimer = undefined;
    }
    this.enqueue(record, event, JSON.stringify(record.prediction));
  }

  /** Waits for every delivery queued so far. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.chains]);
  }

  private throttleLogs(record: PredictionRecord): void {
    const subscription = record.webhook!;
    const wait = subscription.lastLogsAt + this.logsIntervalMs - Date.now();
    if (wait <= 0) {
      subscription.lastLogsAt = Date.now();
      this.enqueue(record, 'logs', JSON.stringify(record.prediction));
      return;
    }
    // A trailing send carries whatever the logs are by then, so the last lines are never lost.
    subscription.logsTimer ??= setTimeout(() => {
      subscription.logsTimer = undefined;
      if (isTerminal(record.prediction.status) || this.signal.aborted) return;
      subscription.lastLogsAt = Date.now();
      this.enqueue(record, 'logs', JSON.stringify(record.prediction));
    }, wait);
  }

  private enqueue(record: PredictionRecord, event: WebhookEvent, body: string): void {
    const subscription = record.webhook!;
    const status = record.prediction.status;
    const chain = subscription.chain.then(() => this.deliver(record, event, status, body));
    subscription.chain = chain;
    this.chains.add(chain);
    void chain.finally(() => this.chains.delete(chain));
  }

  private async deliver(record: PredictionRecord, event: WebhookEvent, status: WebhookDelivery['status'], body: string): Promise<void> {
    const url = record.webhook!.url;
    // Checked when the prediction was created too; checked again so no path can reach the network.
    if (!isLoopbackUrl(url)) {
      this.log.error({ url }, 'Replicate simulator refused to send a webhook off this machine');
      return;
    }
    const webhookId = webhookMessageId();
    const attempts = event === 'completed' ? COMPLETED_RETRY_DELAYS_MS.length + 1 : 1;
    for (let attempt = 1; attempt <= attempts && !this.signal.aborted; attempt += 1) {
      const timestamp = Math.floor(Date.now() / 1000);
      let result: number | string;
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': 'replicate-simulator-webhook/1.0',
            'webhook-id': webhookId,
            'webhook-timestamp': String(timestamp),
            'webhook-signature': signWebhook(this.secret, webhookId, timestamp, body),
          },
          body,
          signal: AbortSignal.any([this.signal, AbortSignal.timeout(DELIVERY_TIMEOUT_MS)]),
        });
        await response.arrayBuffer().catch(() => undefined);
        result = response.status;
      } catch (error) {
        result = (error as Error).message;
      }
      const ok = typeof result === 'number' && result >= 200 && result < 300;
      const delivery: WebhookDelivery = { at: new Date().toISOString(), predictionId: record.prediction.id, event, webhookId, attempt, status, result };
      record.deliveries.push(delivery);
      this.hooks.delivered(delivery, ok);
      this.log.debug({ ...delivery, url }, 'Replicate simulator webhook sent');
      if (ok) return;
      const delay = COMPLETED_RETRY_DELAYS_MS[attempt - 1];
      if (attempt < attempts && delay !== undefined) await sleep(delay, this.signal);
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
