import type { FastifyInstance } from 'fastify';
import { bucketCeil, bucketStart, lastNWindow } from '../billing-buckets';
import type { RunpodCore } from '../runpod-core';
import { badRequest, unprocessable } from '../runpod-errors';
import { issueLines, PodBillingQuerySchema } from '../request-schemas';
import { scriptedFailure } from './scripted';

const THIRTY_DAYS = 30 * 24 * 3_600_000;

/** `GET /v2/billing/pods`: spend per pod per bucket over a window snapped to bucket boundaries. */
export function registerBillingRoutes(app: FastifyInstance, core: RunpodCore): void {
  app.get('/v2/billing/pods', async (request) => {
    scriptedFailure(core, 'listPodBilling');
    const parsed = PodBillingQuerySchema.safeParse(request.query);
    if (!parsed.success) throw unprocessable(issueLines(parsed.error));
    const query = parsed.data;
    if (query.lastN !== undefined && (query.startTime !== undefined || query.endTime !== undefined)) throw badRequest('lastN and startTime/endTime are mutually exclusive');
    const now = Date.now();
    const size = query.bucketSize;
    const window =
      query.lastN !== undefined
        ? lastNWindow(size, query.lastN, now)
        : { start: bucketStart(size, query.startTime ? Date.parse(query.startTime) : now - THIRTY_DAYS), end: bucketCeil(size, query.endTime ? Date.parse(query.endTime) : now) };
    if (window.end <= window.start) throw badRequest('endTime must be after startTime');
    const records = core.ledger.records(size, window.start, window.end, now, query.podId);
    const totals = { totalAmount: 0, gpuAmount: 0, cpuAmount: 0, diskAmount: 0 };
    for (const record of records) {
      totals.totalAmount += record.totalAmount;
      totals.gpuAmount += record.gpuAmount;
    }
    return {
      records,
      metadata: {
        query: { startTime: iso(window.start), endTime: iso(window.end), bucketSize: size, podId: query.podId ?? null },
        recordCount: records.length,
        uniquePodCount: new Set(records.map((record) => record.podId)).size,
        totals,
      },
    };
  });
}

function iso(t: number): string {
  return new Date(t).toISOString().replace('.000Z', 'Z');
}
