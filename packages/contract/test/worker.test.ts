import { liveWorkersFor, rankWorkers, WORKER_STALE_AFTER_MS, WorkerRecordSchema, type WorkerRecord } from '@vidgen/contract';

const NOW = new Date('2025-06-01T12:00:00.000Z');

function worker(workerId: string, overrides: Partial<WorkerRecord> = {}): WorkerRecord {
  return {
    workerId,
    url: `http://${workerId}.internal:8080`,
    state: 'ready',
    capacity: 2,
    running: 0,
    tiersReady: ['animatediff', 'svd'],
    pullsBacklog: true,
    modelsLoaded: ['sd15.safetensors', 'svd_xt.safetensors'],
    comfyuiVersion: '0.3.40',
    gpu: 'NVIDIA L4',
    startedAt: new Date(NOW.getTime() - 3_600_000),
    heartbeatAt: new Date(NOW.getTime() - 1_000),
    ...overrides,
  };
}

const ids = (workers: WorkerRecord[]) => workers.map((w) => w.workerId);

describe('rankWorkers', () => {
  it('keeps a fresh, ready worker with room and the tier', () => {
    expect(ids(rankWorkers([worker('a')], 'animatediff', NOW))).toEqual(['a']);
  });

  it('drops a worker whose heartbeat is 15 s old or older', () => {
    expect(WORKER_STALE_AFTER_MS).toBe(15_000);
    const workers = [
      worker('fresh', { heartbeatAt: new Date(NOW.getTime() - (WORKER_STALE_AFTER_MS - 1)) }),
      worker('at-limit', { heartbeatAt: new Date(NOW.getTime() - WORKER_STALE_AFTER_MS) }),
      worker('stale', { heartbeatAt: new Date(NOW.getTime() - 60_000) }),
    ];
    expect(ids(rankWorkers(workers, 'svd', NOW))).toEqual(['fresh']);
  });

  it('drops a draining worker', () => {
    expect(ids(rankWorkers([worker('d', { state: 'draining' }), worker('r')], 'svd', NOW))).toEqual(['r']);
  });

  it('drops a worker the fleet controller asked to drain, before the worker itself reports draining', () => {
    const asked = worker('asked', { drainRequestedAt: new Date(NOW.getTime() - 1_000) });
    expect(ids(rankWorkers([asked, worker('r'), worker('taken-back', { drainRequestedAt: null })], 'svd', NOW))).toEqual(['r', 'taken-back']);
    expect(ids(liveWorkersFor([asked], 'svd', NOW))).toEqual([]);
  });

  it('drops a full worker', () => {
    const workers = [worker('full', { capacity: 2, running: 2 }), worker('over', { capacity: 1, running: 3 }), worker('room', { capacity: 2, running: 1 })];
    expect(ids(rankWorkers(workers, 'svd', NOW))).toEqual(['room']);
  });

  it('drops a worker without the tier', () => {
    const workers = [worker('no-svd', { tiersReady: ['animatediff'] }), worker('none', { tiersReady: [] }), worker('both')];
    expect(ids(rankWorkers(workers, 'svd', NOW))).toEqual(['both']);
    expect(rankWorkers(workers, 'veo', NOW)).toEqual([]);
  });

  it('orders the least loaded first, by share of capacity in use', () => {
    const workers = [
      worker('half', { capacity: 4, running: 2 }),
      worker('idle', { capacity: 1, running: 0 }),
      worker('three-quarters', { capacity: 4, running: 3 }),
      worker('quarter', { capacity: 4, running: 1 }),
    ];
    expect(ids(rankWorkers(workers, 'animatediff', NOW))).toEqual(['idle', 'quarter', 'half', 'three-quarters']);
  });

  it('prefers the worker with more room in proportion, not in absolute running count', () => {
    const workers = [worker('small', { capacity: 2, running: 1 }), worker('big', { capacity: 8, running: 2 })];
    expect(ids(rankWorkers(workers, 'animatediff', NOW))).toEqual(['big', 'small']);
  });

  it('breaks ties by workerId, so the order is stable', () => {
    const workers = [worker('c'), worker('a'), worker('b', { capacity: 4, running: 0 })];
    expect(ids(rankWorkers(workers, 'svd', NOW))).toEqual(['a', 'b', 'c']);
  });

  it('applies every filter together and leaves the input alone', () => {
    const workers = [
      worker('stale', { heartbeatAt: new Date(NOW.getTime() - 20_000) }),
      worker('draining', { state: 'draining' }),
      worker('full', { running: 2 }),
      worker('missing', { tiersReady: ['svd'] }),
      worker('busy', { running: 1 }),
      worker('free'),
    ];
    const before = ids(workers);
    expect(ids(rankWorkers(workers, 'animatediff', NOW))).toEqual(['free', 'busy']);
    expect(ids(workers)).toEqual(before);
  });

  it('returns nothing for no workers', () => {
    expect(rankWorkers([], 'veo', NOW)).toEqual([]);
  });
});

describe('liveWorkersFor', () => {
  it('keeps full workers (a slot may have freed since their heartbeat) but not stale, draining or tierless ones', () => {
    const workers = [
      worker('stale', { heartbeatAt: new Date(NOW.getTime() - 20_000) }),
      worker('draining', { state: 'draining' }),
      worker('full', { running: 2 }),
      worker('missing', { tiersReady: ['svd'] }),
      worker('busy', { running: 1 }),
    ];
    expect(ids(liveWorkersFor(workers, 'animatediff', NOW))).toEqual(['busy', 'full']);
  });
});

describe('WorkerRecordSchema', () => {
  it('reads a record written before workers said whether they pull their backlog as one that does not', () => {
    const { pullsBacklog: _, ...older } = worker('old');
    expect(WorkerRecordSchema.parse(older).pullsBacklog).toBe(false);
  });

  it('accepts a worker record and refuses a bad one', () => {
    const record = worker('a');
    expect(WorkerRecordSchema.parse(record)).toEqual(record);
    expect(WorkerRecordSchema.safeParse({ ...record, capacity: 0 }).success).toBe(false);
    expect(WorkerRecordSchema.safeParse({ ...record, running: -1 }).success).toBe(false);
    expect(WorkerRecordSchema.safeParse({ ...record, state: 'busy' }).success).toBe(false);
    expect(WorkerRecordSchema.safeParse({ ...record, tiersReady: ['sora'] }).success).toBe(false);
  });
});
