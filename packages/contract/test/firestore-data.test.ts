import { JobSchema, reviveDates } from '@vidgen/contract';
import { at, claimed, newJob, T0 } from './helpers';

/** Stands in for a Firestore Timestamp (admin or web SDK): only `toDate()` matters. */
class FakeTimestamp {
  constructor(readonly seconds: number, readonly nanoseconds: number) {}
  toDate(): Date {
    return new Date(this.seconds * 1000 + Math.floor(this.nanoseconds / 1e6));
  }
}

function timestamp(date: Date): FakeTimestamp {
  const ms = date.getTime();
  return new FakeTimestamp(Math.floor(ms / 1000), (ms % 1000) * 1e6);
}

describe('reviveDates', () => {
  it('turns an object with toDate() into the Date it returns', () => {
    const revived = reviveDates(new FakeTimestamp(1_700_000_000, 250_000_000));
    expect(revived).toBeInstanceOf(Date);
    expect(revived).toEqual(new Date(1_700_000_000_250));
  });

  it('calls toDate with the timestamp as `this`', () => {
    const plain = { ms: 42, toDate(this: { ms: number }) { return new Date(this.ms); } };
    expect(reviveDates(plain)).toEqual(new Date(42));
  });

  it('revives deeply, in objects and arrays', () => {
    const revived = reviveDates({
      a: timestamp(T0),
      nested: { b: timestamp(at(1_000)), list: [timestamp(at(2_000)), 'x', { c: timestamp(at(3_000)) }] },
    });
    expect(revived).toEqual({ a: T0, nested: { b: at(1_000), list: [at(2_000), 'x', { c: at(3_000) }] } });
  });

  it('leaves primitives, null and Dates as they are', () => {
    for (const value of [null, undefined, 0, 1.5, '', 'text', true, false]) expect(reviveDates(value)).toBe(value);
    const date = new Date(5);
    expect(reviveDates(date)).toBe(date);
    expect(reviveDates({ d: date, n: null, u: undefined })).toEqual({ d: date, n: null, u: undefined });
  });

  it('leaves an object whose toDate is not a function as data', () => {
    expect(reviveDates({ toDate: 'soon', at: timestamp(T0) })).toEqual({ toDate: 'soon', at: T0 });
  });

  it('does not mutate its input', () => {
    const input = { when: timestamp(T0), list: [timestamp(T0)] };
    reviveDates(input);
    expect(input.when).toBeInstanceOf(FakeTimestamp);
    expect(input.list[0]).toBeInstanceOf(FakeTimestamp);
  });

  it('brings a job read back from Firestore to one JobSchema accepts', () => {
    const job = claimed(newJob(), 'tok', at(1_000));
    const stored = {
      ...job,
      createdAt: timestamp(job.createdAt),
      updatedAt: timestamp(job.updatedAt),
      progress: { ...job.progress, updatedAt: timestamp(job.progress.updatedAt) },
      attempt: {
        ...job.attempt!,
        createdAt: timestamp(job.attempt!.createdAt),
        startedAt: timestamp(job.attempt!.startedAt!),
        leaseExpiresAt: timestamp(job.attempt!.leaseExpiresAt!),
      },
    };
    expect(JobSchema.safeParse(stored).success).toBe(false);
    expect(JobSchema.parse(reviveDates(stored))).toEqual(job);
  });
});
