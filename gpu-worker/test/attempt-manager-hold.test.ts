import { AttemptManager } from '../src/attempts/attempt-manager';
import type { WorkerServices } from '../src/services';

/** The manager's intake while the fleet controller holds the worker (its record has drainRequestedAt). */
describe('AttemptManager.hold', () => {
  const services = {
    config: { MAX_CONCURRENT_JOBS: 0 },
    metrics: { capacity: { set: () => undefined }, running: { set: () => undefined } },
  } as unknown as WorkerServices;
  const request = { jobId: 'job-1', attemptIndex: 0, tier: 'animatediff' as const };

  it('refuses new work as draining while held, and takes it again once the hold is lifted', async () => {
    const manager = new AttemptManager(services);
    manager.hold(true);
    expect(manager.isDraining).toBe(true);
    expect(await manager.offer(request)).toEqual({ status: 'draining' });
    manager.hold(false);
    expect(manager.isDraining).toBe(false);
    // No slot at all (capacity 0): the intake got past the hold to the capacity check.
    expect(await manager.offer(request)).toEqual({ status: 'full' });
  });
});
