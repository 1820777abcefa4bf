import type { RunpodSimulator } from '../src/simulators';
import { BillingLedger } from '../src/runpod/billing-ledger';
import { bucketCeil, bucketStart, lastNWindow } from '../src/runpod/billing-buckets';
import { L40S, RTX_4090, podRequest, runpodClient, startRunpod, waitForStatus } from './support/runpod';
import { sleep } from './support/wait';

const t = (iso: string): number => Date.parse(iso);

describe('RunPod billing buckets', () => {
  it('snaps to UTC hours, days, Monday weeks, months and years', () => {
    const at = t('2026-06-03T13:45:10Z'); // a Wednesday
    expect(new Date(bucketStart('hour', at)).toISOString()).toBe('2026-06-03T13:00:00.000Z');
    expect(new Date(bucketStart('day', at)).toISOString()).toBe('2026-06-03T00:00:00.000Z');
    expect(new Date(bucketStart('week', at)).toISOString()).toBe('2026-06-01T00:00:00.000Z');
    expect(new Date(bucketStart('month', at)).toISOString()).toBe('2026-06-01T00:00:00.000Z');
    expect(new Date(bucketStart('year', at)).toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(new Date(bucketCeil('day', at)).toISOString()).toBe('2026-06-04T00:00:00.000Z');
    expect(bucketCeil('day', t('2026-06-04T00:00:00Z'))).toBe(t('2026-06-04T00:00:00Z'));
    expect(lastNWindow('day', 3, at)).toEqual({ start: t('2026-06-01T00:00:00Z'), end: t('2026-06-04T00:00:00Z') });
  });

  it('splits a span across buckets at the GPU rate times the GPU count', () => {
    const ledger = new BillingLedger();
    ledger.open({ podId: 'a', gpuTypeId: RTX_4090, gpuCount: 2, hourlyRate: 0.5, start: t('2026-06-01T10:30:00Z') });
    ledger.close('a', t('2026-06-01T12:00:00Z'));
    ledger.open({ podId: 'b', gpuTypeId: L40S, gpuCount: 1, hourlyRate: 1, start: t('2026-06-01T11:45:00Z') });
    const records = ledger.records('hour', t('2026-06-01T10:00:00Z'), t('2026-06-01T13:00:00Z'), t('2026-06-01T12:15:00Z'));
    expect(records.map((record) => [record.startTime, record.podId, record.totalAmount])).toEqual([
      ['2026-06-01T10:00:00Z', 'a', 0.5],
      ['2026-06-01T11:00:00Z', 'a', 1],
      ['2026-06-01T11:00:00Z', 'b', 0.25],
      ['2026-06-01T12:00:00Z', 'b', 0.25],
    ]);
  });
});

describe('RunPod simulator: pod billing, read by our client', () => {
  let sim: RunpodSimulator;
  beforeEach(async () => {
    // 3600 USD an hour is a dollar a second, so short pods cost measurable amounts.
    sim = await startRunpod({ gpuTypes: { [RTX_4090]: { hourlyRate: 3600 }, [L40S]: { hourlyRate: 7200 } } });
  });
  afterEach(async () => {
    await sim.close();
  });

  it('bills each pod from create until stop at its GPU type\'s rate, booting included, and nothing while stopped', async () => {
    const client = runpodClient(sim);
    const beforeCreates = Date.now();
    const a = await client.createPod({ ...podRequest('a'), gpu: { id: RTX_4090 } });
    const b = await client.createPod({ ...podRequest('b'), gpu: { id: L40S } });
    const afterCreates = Date.now();
    await waitForStatus(client, a.id, 'RUNNING');
    await sleep(100);
    const beforeStops = Date.now();
    await client.stopPod(a.id);
    await client.terminatePod(b.id);
    const afterStops = Date.now();
    await sleep(150);

    const bill = await client.podBilling({ bucketSize: 'day', lastN: 2 });
    const seconds = (id: string): number => bill.records.filter((record) => record.podId === id).reduce((sum, record) => sum + record.totalAmount, 0);
    const least = (beforeStops - afterCreates) / 1000;
    const most = (afterStops - beforeCreates) / 1000;
    expect(seconds(a.id)).toBeGreaterThanOrEqual(least);
    expect(seconds(a.id)).toBeLessThanOrEqual(most);
    expect(seconds(b.id) / 2).toBeGreaterThanOrEqual(least);
    expect(seconds(b.id) / 2).toBeLessThanOrEqual(most);
    expect(bill.metadata).toMatchObject({ recordCount: bill.records.length, uniquePodCount: 2, query: { bucketSize: 'day' } });
    expect(bill.metadata.totals.totalAmount).toBeCloseTo(seconds(a.id) + seconds(b.id), 6);
    expect(bill.metadata.totals.gpuAmount).toBeCloseTo(bill.metadata.totals.totalAmount, 6);

    const later = await client.podBilling({ bucketSize: 'day', lastN: 2, podId: a.id });
    expect(new Set(later.records.map((record) => record.podId))).toEqual(new Set([a.id]));
    expect(later.metadata.totals.totalAmount).toBeCloseTo(seconds(a.id), 9);
  });

  it('snaps a startTime/endTime window to buckets and refuses lastN beside it', async () => {
    const client = runpodClient(sim);
    const bill = await client.podBilling({ startTime: '2026-06-01T10:30:00Z', endTime: '2026-06-01T12:15:00Z', bucketSize: 'hour' });
    expect(bill).toEqual({
      records: [],
      metadata: { query: { startTime: '2026-06-01T10:00:00Z', endTime: '2026-06-01T13:00:00Z', bucketSize: 'hour', podId: null }, recordCount: 0, uniquePodCount: 0, totals: { totalAmount: 0, gpuAmount: 0, cpuAmount: 0, diskAmount: 0 } },
    });
    await expect(client.podBilling({ startTime: '2026-06-01T00:00:00Z', lastN: 2 })).rejects.toMatchObject({ code: 'runpod/invalid-request', status: 400 });
  });
});
