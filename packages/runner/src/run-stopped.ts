import type { Refusal } from '@vidgen/contract';

/** Why a run was stopped from outside; decides whether the runner may still write how it ended. */
export class RunStopped extends Error {
  override readonly name = 'RunStopped';
  constructor(readonly reason: 'lease_lost' | 'cancelled' | 'shutdown' | 'handed_off', detail?: Refusal | string) {
    super(detail ? `${reason}: ${detail}` : reason);
  }

  /**
   * Only a shutdown still holds the lease and hands the attempt back; the others have lost it, or
   * (`handed_off`) gave it to the next invocation of a chained run.
   */
  get mayWrite(): boolean {
    return this.reason === 'shutdown';
  }
}
