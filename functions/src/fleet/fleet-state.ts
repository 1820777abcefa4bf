import { reviveDates } from '@vidgen/contract';
import { z } from 'zod';
import type { FleetHistoryEntry } from './decide';

/** The part of `fleet/state` the next tick reads back: demand at earlier ticks, for the scale-down window. */
const StoredHistorySchema = z.array(z.object({ at: z.date(), wanted: z.number().int().min(0) }));

/**
 * The demand history in a `fleet/state` document. A missing or unreadable one is empty, which only
 * delays a scale-down by one window (the decision holds until the window is covered).
 */
export function readFleetHistory(data: unknown): FleetHistoryEntry[] {
  if (typeof data !== 'object' || data === null) return [];
  const parsed = StoredHistorySchema.safeParse(reviveDates((data as { history?: unknown }).history));
  return parsed.success ? parsed.data : [];
}

/** One action of a decision and how carrying it out went, as `fleet/state` and the log show it. */
export interface ActionOutcome {
  action: string;
  ok: boolean;
  detail?: string;
}
