import { EventEmitter } from 'node:events';
import type { AttemptRequest, Tier } from '@vidgen/contract';
import { InvalidJobDocument } from '@vidgen/contract/admin';
import type { AttemptManager, IntakeAnswer } from '../src/attempts/attempt-manager';
import { BacklogPuller } from '../src/attempts/backlog-puller';
import type { WorkerServices } from '../src/services';

const CAPACITY = 2;

interface PendingDoc {
  id: string;
  tier: Tier;
}

/**
 * The puller's edges, faked: the pending-attempts query answers from `backlog` (each query counted),
 * and the manager's `offer` answers with `answer` (taking a slot when it accepts), as the real
 * AttemptManager does, emitting `changed` with its load.
 */
class Fixture {
  backlog: PendingDoc[] = [];
  queries = 0;
  offers: AttemptRequest[] = [];
  answer: (request: AttemptRequest) => IntakeAnswer | Error = () => ({ status: 'accepted', leaseExpiresAt: new Date() });
  readonly manager = Object.assign(new EventEmitter(), { load: 0, isDraining: false, offer: (request: AttemptRequest) => this.offer(request) });
  readonly puller: BacklogPuller;

  constructor() {
    const query = { where: () => query, orderBy: () => query, limit: () => query, get: () => this.query() };
    const services = {
      config: { MAX_CONCURRENT_JOBS: CAPACITY, HEARTBEAT_SECONDS: 60 },
      db: { collection: () => query },
      log: { info: () => undefined, warn: () => undefined, error: () => undefined },
      metrics: { backlogPullFailures: { inc: () => undefined } },
    } as unknown as WorkerServices;
    this.puller = new BacklogPuller(services, this.manager as unknown as AttemptManager, () => ['animatediff']);
  }

  private async query() {
    this.queries += 1;
    await Promise.resolve();
    const docs = this.backlog.map((doc) => ({ id: doc.id, get: (field: string) => ({ 'attempt.tier': doc.tier, 'attempt.index': 0 })[field] }));
    return { docs };
  }

  private async offer(request: AttemptRequest): Promise<IntakeAnswer> {
    this.offers.push(request);
    if (this.manager.load >= CAPACITY) return { status: 'full' };
    this.setLoad(this.manager.load + 1);
    await Promise.resolve();
    const answer = this.answer(request);
    if (answer instanceof Error) {
      this.setLoad(this.manager.load - 1);
      throw answer;
    }
    if (answer.status !== 'accepted') this.setLoad(this.manager.load - 1);
    else this.backlog = this.backlog.filter((doc) => doc.id !== request.jobId);
    return answer;
  }

  /** An attempt ends (or a claim is given up): a slot frees. */
  setLoad(load: number): void {
    this.manager.load = load;
    this.manager.emit('changed', load);
  }
}

describe('BacklogPuller (fake timers)', () => {
  let fixture: Fixture;

  beforeEach(() => {
    jest.useFakeTimers();
    fixture = new Fixture();
  });
  afterEach(() => {
    fixture.puller.stop();
    jest.useRealTimers();
  });

  it('pulls on start, and claims pending work up to its capacity', async () => {
    fixture.backlog = [{ id: 'a', tier: 'animatediff' }, { id: 'b', tier: 'animatediff' }, { id: 'c', tier: 'animatediff' }];
    fixture.puller.start();
    await jest.advanceTimersByTimeAsync(0);
    expect(fixture.offers.map((o) => o.jobId)).toEqual(['a', 'b']);
    expect(fixture.manager.load).toBe(2);
  });

  it('pulls again when a slot frees during a pull, instead of dropping the wake-up', async () => {
    fixture.manager.load = 1;
    fixture.puller.start();
    await jest.advanceTimersByTimeAsync(0);
    expect(fixture.queries).toBe(1);
    // The slot frees and an attempt is created while the next pull's query is in flight.
    const pulling = fixture.puller.pull();
    fixture.backlog = [{ id: 'late', tier: 'animatediff' }];
    fixture.setLoad(0);
    await pulling;
    await jest.advanceTimersByTimeAsync(0);
    expect(fixture.offers.map((o) => o.jobId)).toContain('late');
  });

  it('pulls again within 250 ms when it saw work but lost the claim, whatever the heartbeat', async () => {
    fixture.backlog = [{ id: 'raced', tier: 'animatediff' }];
    let lost = 1;
    fixture.answer = () => (lost-- > 0 ? { status: 'already_claimed' } : { status: 'accepted', leaseExpiresAt: new Date() });
    fixture.puller.start();
    await jest.advanceTimersByTimeAsync(0);
    expect(fixture.manager.load).toBe(0);
    const queriesAfterLoss = fixture.queries;
    await jest.advanceTimersByTimeAsync(250);
    expect(fixture.queries).toBeGreaterThan(queriesAfterLoss);
    expect(fixture.manager.load).toBe(1);
  });

  it('does not keep pulling for work it cannot read, nor for tiers it does not serve', async () => {
    fixture.backlog = [{ id: 'bad', tier: 'animatediff' }, { id: 'svd', tier: 'svd' }];
    fixture.answer = () => new InvalidJobDocument('bad', ['state: invalid']);
    fixture.puller.start();
    await jest.advanceTimersByTimeAsync(5_000);
    // The first pull reports the unreadable job; the retry finds it known and stops there.
    expect(fixture.queries).toBeLessThanOrEqual(3);
    expect(fixture.offers.every((o) => o.jobId === 'bad')).toBe(true);
  });

  it('does not pull when it takes a slot, only when one frees', async () => {
    fixture.puller.start();
    await jest.advanceTimersByTimeAsync(0);
    const before = fixture.queries;
    fixture.setLoad(1);
    await jest.advanceTimersByTimeAsync(0);
    expect(fixture.queries).toBe(before);
    fixture.setLoad(0);
    await jest.advanceTimersByTimeAsync(0);
    expect(fixture.queries).toBe(before + 1);
  });
});
