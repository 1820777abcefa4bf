import type { Firestore } from 'firebase-admin/firestore';
import * as logger from 'firebase-functions/logger';
import { LIMITS_DOCUMENT, readLimits, type EffectiveLimits, type LimitsReading } from '@vidgen/contract';

/** Stable field a log-based metric counts: a read of `config/limits` that found fields it had to ignore (README, "Log-based metrics"). */
export const LIMITS_INVALID_METRIC = 'limits_invalid';

/**
 * `config/limits` as this instance last read it, kept for at most `maxAgeMs` so that a console edit
 * takes effect within that time while a burst of calls costs one read. Concurrent calls that find
 * it stale share one read. A field that does not parse is logged (with what was wrong) and takes
 * its default; a read that fails throws, and the call fails (`internal`) rather than run unlimited.
 */
export class LiveLimits {
  private cached: { limits: EffectiveLimits; readAt: number } | null = null;
  private reading: Promise<EffectiveLimits> | null = null;

  constructor(
    private readonly db: Firestore,
    private readonly report: (message: string, fields: object) => void = logger.warn,
    private readonly clock: () => number = Date.now,
  ) {}

  async get(maxAgeMs: number): Promise<EffectiveLimits> {
    const cached = this.cached;
    if (cached && this.clock() - cached.readAt < maxAgeMs) return cached.limits;
    this.reading ??= this.read().finally(() => {
      this.reading = null;
    });
    return this.reading;
  }

  private async read(): Promise<EffectiveLimits> {
    const startedAt = this.clock();
    const snapshot = await this.db.doc(LIMITS_DOCUMENT).get();
    const reading: LimitsReading = readLimits(snapshot.data());
    if (reading.problems.length > 0) {
      this.report(`${LIMITS_DOCUMENT} has fields that were ignored (their defaults apply): ${reading.problems.join('; ')}`, {
        metric: LIMITS_INVALID_METRIC,
        problems: reading.problems,
      });
    }
    this.cached = { limits: reading.limits, readAt: startedAt };
    return reading.limits;
  }
}
