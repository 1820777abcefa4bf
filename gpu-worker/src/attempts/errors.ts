import type { Refusal } from '@vidgen/contract';

/** Why a run was aborted; decides whether the worker may still write its ending. */
export class RunAborted extends Error {
  override readonly name = 'RunAborted';
  constructor(readonly reason: 'lease_lost' | 'cancelled' | 'shutdown', detail?: Refusal | string) {
    super(detail ? `${reason}: ${detail}` : reason);
  }

  /** Only a shutdown still holds the lease and hands the attempt back; the others have lost it. */
  get mayWrite(): boolean {
    return this.reason === 'shutdown';
  }
}
