import { bucketsBetween, type BucketSize } from './billing-buckets';

/** A span of time a pod was billed for: from create or start until stop, error or terminate. */
export interface BilledSpan {
  podId: string;
  gpuTypeId: string;
  gpuCount: number;
  /** USD per GPU per hour. */
  hourlyRate: number;
  start: number;
  /** null while the pod still holds its GPU. */
  end: number | null;
}

/** One pod's spend in one bucket, as `GET /v2/billing/pods` lists it. */
export interface PodBillingRecord {
  startTime: string;
  endTime: string;
  podId: string;
  totalAmount: number;
  gpuAmount: number;
  cpuAmount: number;
  diskAmount: number;
}

/** Every billed span, kept after a pod is terminated as RunPod's bills are. */
export class BillingLedger {
  private readonly spans: BilledSpan[] = [];

  open(span: Omit<BilledSpan, 'end'>): void {
    this.spans.push({ ...span, end: null });
  }

  /** Closes the pod's open span, if any. */
  close(podId: string, at: number): void {
    for (const span of this.spans) if (span.podId === podId && span.end === null) span.end = at;
  }

  list(): BilledSpan[] {
    return this.spans.map((span) => ({ ...span }));
  }

  /** Spend per pod per bucket over `[from, to)`, pods with none left out; open spans run to `now`. */
  records(size: BucketSize, from: number, to: number, now: number, podId?: string): PodBillingRecord[] {
    const records: PodBillingRecord[] = [];
    for (const bucket of bucketsBetween(size, from, to)) {
      const amounts = new Map<string, number>();
      for (const span of this.spans) {
        if (podId !== undefined && span.podId !== podId) continue;
        const overlap = Math.min(span.end ?? now, bucket.end) - Math.max(span.start, bucket.start);
        if (overlap <= 0) continue;
        amounts.set(span.podId, (amounts.get(span.podId) ?? 0) + (overlap / 3_600_000) * span.hourlyRate * span.gpuCount);
      }
      for (const [id, amount] of [...amounts].sort(([a], [b]) => a.localeCompare(b))) {
        records.push({ startTime: iso(bucket.start), endTime: iso(bucket.end), podId: id, totalAmount: amount, gpuAmount: amount, cpuAmount: 0, diskAmount: 0 });
      }
    }
    return records;
  }
}

function iso(t: number): string {
  return new Date(t).toISOString().replace('.000Z', 'Z');
}
