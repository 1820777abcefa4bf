import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The worker's Prometheus metrics, on a registry of its own. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    attempts: new Counter({ name: 'vidgen_attempts_total', help: 'Attempts finished, by tier and outcome.', labelNames: ['tier', 'outcome'], registers: [registry] }),
    attemptSeconds: new Histogram({ name: 'vidgen_attempt_seconds', help: 'Wall time of an attempt on this worker.', buckets: [5, 15, 30, 60, 120, 300, 600, 1200], registers: [registry] }),
    intake: new Counter({ name: 'vidgen_intake_responses_total', help: 'Answers to POST /v1/attempts, by status.', labelNames: ['status'], registers: [registry] }),
    running: new Gauge({ name: 'vidgen_attempts_running', help: 'Attempts this worker is running.', registers: [registry] }),
    capacity: new Gauge({ name: 'vidgen_capacity', help: 'MAX_CONCURRENT_JOBS.', registers: [registry] }),
    jobWrites: new Counter({ name: 'vidgen_job_writes_total', help: 'Writes to job documents (claim, progress, lease renewals, provider id, finish).', registers: [registry] }),
    progressWrites: new Counter({ name: 'vidgen_progress_writes_total', help: 'Progress writes to Firestore.', registers: [registry] }),
    jobWriteConflicts: new Counter({ name: 'vidgen_job_write_conflicts_total', help: 'Job writes that lost a race to another writer and were read and decided again.', registers: [registry] }),
    backlogPullFailures: new Counter({ name: 'vidgen_backlog_pull_failures_total', help: 'Pending attempts the backlog puller could not take, by reason (unreadable_job: the document does not parse; error).', labelNames: ['reason'], registers: [registry] }),
    enqueueFailures: new Counter({ name: 'vidgen_enqueue_failures_total', help: 'Hand-offs of a next attempt to the runAttempt queue that failed, by the Admin SDK\'s code (the watchdog re-dispatches them).', labelNames: ['code'], registers: [registry] }),
    progressWritesPerAttempt: new Histogram({ name: 'vidgen_progress_writes_per_attempt', help: 'Progress writes per attempt.', buckets: [1, 2, 5, 10, 20, 50], registers: [registry] }),
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
