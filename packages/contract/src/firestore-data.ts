/**
 * Firestore hands back Timestamps where we wrote Dates. The contract speaks `Date`; this turns any
 * Timestamp-like value (admin or web SDK: both have `toDate()`) back into one, deeply.
 */
export function reviveDates(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return value;
  const maybeTimestamp = value as { toDate?: unknown };
  if (typeof maybeTimestamp.toDate === 'function') return (maybeTimestamp.toDate as () => Date).call(value);
  if (Array.isArray(value)) return value.map(reviveDates);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, reviveDates(v)]));
}
