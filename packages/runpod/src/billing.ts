import { z } from 'zod';

/**
 * Pod spend from `GET /v2/billing/pods` (OpenAPI `ListPodBillingResponse`): one record per pod per
 * time bucket, amounts in USD, and totals over the records.
 */

export const BillingBucketSizeSchema = z.enum(['hour', 'day', 'week', 'month', 'year']);
export type BillingBucketSize = z.infer<typeof BillingBucketSizeSchema>;

export const PodBillingAmountsSchema = z.looseObject({
  totalAmount: z.number(),
  gpuAmount: z.number(),
  cpuAmount: z.number(),
  diskAmount: z.number(),
});
export type PodBillingAmounts = z.infer<typeof PodBillingAmountsSchema>;

export const PodBillingRecordSchema = PodBillingAmountsSchema.extend({
  startTime: z.string(),
  endTime: z.string(),
  podId: z.string(),
});
export type PodBillingRecord = z.infer<typeof PodBillingRecordSchema>;

export const ListPodBillingResponseSchema = z.looseObject({
  records: z.array(PodBillingRecordSchema),
  metadata: z.looseObject({
    query: z.looseObject({ startTime: z.string().optional(), endTime: z.string().optional(), bucketSize: BillingBucketSizeSchema.optional() }),
    recordCount: z.number().int(),
    uniquePodCount: z.number().int(),
    totals: PodBillingAmountsSchema,
  }),
});
export type ListPodBillingResponse = z.infer<typeof ListPodBillingResponseSchema>;

/** Query of `GET /v2/billing/pods`: a window (`startTime`/`endTime`, snapped to buckets) or `lastN` buckets, not both. */
export interface PodBillingQuery {
  startTime?: Date | string;
  endTime?: Date | string;
  bucketSize?: BillingBucketSize;
  lastN?: number;
  podId?: string;
}

/** The query string for {@link PodBillingQuery}. */
export function podBillingSearchParams(query: PodBillingQuery): URLSearchParams {
  const params = new URLSearchParams();
  const time = (value: Date | string): string => (value instanceof Date ? value.toISOString() : value);
  if (query.startTime !== undefined) params.set('startTime', time(query.startTime));
  if (query.endTime !== undefined) params.set('endTime', time(query.endTime));
  if (query.bucketSize !== undefined) params.set('bucketSize', query.bucketSize);
  if (query.lastN !== undefined) params.set('lastN', String(query.lastN));
  if (query.podId !== undefined) params.set('podId', query.podId);
  return params;
}
