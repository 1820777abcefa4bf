/** Time buckets of RunPod's billing routes, in UTC (weeks start on Monday). */
export type BucketSize = 'hour' | 'day' | 'week' | 'month' | 'year';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The start of the bucket holding `t` (ms since the epoch). */
export function bucketStart(size: BucketSize, t: number): number {
  const d = new Date(t);
  switch (size) {
    case 'hour':
      return Math.floor(t / HOUR) * HOUR;
    case 'day':
      return Math.floor(t / DAY) * DAY;
    case 'week': {
      const day = Math.floor(t / DAY) * DAY;
      const sinceMonday = (new Date(day).getUTCDay() + 6) % 7;
      return day - sinceMonday * DAY;
    }
    case 'month':
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
    case 'year':
      return Date.UTC(d.getUTCFullYear(), 0, 1);
  }
}

/** The start of the bucket after the one starting at `start`. */
export function nextBucket(size: BucketSize, start: number): number {
  const d = new Date(start);
  switch (size) {
    case 'hour':
      return start + HOUR;
    case 'day':
      return start + DAY;
    case 'week':
      return start + 7 * DAY;
    case 'month':
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
    case 'year':
      return Date.UTC(d.getUTCFullYear() + 1, 0, 1);
  }
}

/** `t` if it is a bucket boundary, else the end of its bucket. */
export function bucketCeil(size: BucketSize, t: number): number {
  const start = bucketStart(size, t);
  return start === t ? t : nextBucket(size, start);
}

/** The buckets `[start, end)` covering `[from, to)`, both already on boundaries. */
export function bucketsBetween(size: BucketSize, from: number, to: number): Array<{ start: number; end: number }> {
  const buckets: Array<{ start: number; end: number }> = [];
  for (let start = from; start < to; start = nextBucket(size, start)) buckets.push({ start, end: nextBucket(size, start) });
  return buckets;
}

/** The window `lastN` buckets name: from the start of the earliest to the end of the current one. */
export function lastNWindow(size: BucketSize, lastN: number, now: number): { start: number; end: number } {
  const current = bucketStart(size, now);
  let start = current;
  for (let i = 1; i < lastN; i++) start = bucketStart(size, start - 1);
  return { start, end: nextBucket(size, current) };
}
