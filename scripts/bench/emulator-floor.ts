import { randomUUID } from 'node:crypto';
import { FieldValue, type DocumentReference, type Firestore } from 'firebase-admin/firestore';
import { getFunctions } from 'firebase-admin/functions';
import { COLLECTIONS } from '@vidgen/contract';
import { optimistically } from '@vidgen/contract/admin';
import { BENCH_OPTIONS } from './bench-stack';
import { sleep, type BenchContext, type SectionResult } from './context';
import { ms, p50, p95 } from './stats';
import { callableCode, signedInUser, type BenchUser } from './web-client';

/** As many runtime processes per function as the load test has concurrent clients. */
const CONCURRENCY = 20;

/** Calls `call` from every user at once; the wall time of the burst, each call's latency and the codes that came back. */
async function burst(users: BenchUser[], call: (user: BenchUser) => Promise<unknown>): Promise<{ wallMs: number; latencies: number[]; codes: Map<string, number> }> {
  const started = Date.now();
  const codes = new Map<string, number>();
  const latencies = await Promise.all(users.map(async (user) => {
    const at = Date.now();
    const code = await call(user).then(() => 'ok', (error: unknown) => callableCode(error));
    codes.set(code, (codes.get(code) ?? 0) + 1);
    return Date.now() - at;
  }));
  return { wallMs: Date.now() - started, latencies, codes };
}

const codesText = (codes: Map<string, number>) => [...codes].map(([code, n]) => `${code} ${n}`).join(', ');

/** Bursts that start runtime processes two at a time: a burst of 20 on a cold function would start 20 at once. */
const RAMP = Array.from({ length: CONCURRENCY / 2 }, (_, i) => 2 * (i + 1));
/** Just over the emulator's own 30 s limit for a process to start: a call it dropped fails then, not after 70 s. */
const WARM_UP_CALL_TIMEOUT_MS = 35_000;

/**
 * The functions emulator runs each concurrent invocation in a process of its own and starts one
 * (Node, the functions bundle, the Admin SDK) whenever none is idle, and fails a request whose new
 * process is not ready within 30 s; Cloud Run functions serve up to 80 concurrent requests per
 * instance. So a burst on a cold function measures the emulator's process start-ups, not our code.
 * This starts {@link CONCURRENCY} processes for each function the timed scenarios call at once, with
 * calls that change nothing (each reads Firestore, so the process's channel is open too), in growing
 * bursts, and reports the cost of one start-up (a call on a cold function against the same call
 * warm) measured in the same run: that cost is the emulator's, and the timed scenarios, which run
 * after this, do not pay it.
 */
export async function warmFunctions(ctx: BenchContext): Promise<SectionResult> {
  const users = await Promise.all(Array.from({ length: CONCURRENCY }, () => signedInUser(ctx.state, { callTimeoutMs: WARM_UP_CALL_TIMEOUT_MS })));
  const step = ctx.progress.step('0 functions emulator: start runtime processes', 2 + RAMP.length * 3 + 2);
  const noOpCancel = (user: BenchUser) => user.cancelVideoJob(`bench-missing-${randomUUID().slice(0, 8)}`);
  // Users at their limit: refused with resource-exhausted after reading their counter, nothing written.
  const quotas = users.map((user) => ctx.admin.collection(COLLECTIONS.quotas).doc(user.uid));
  await Promise.all(quotas.map((ref, i) => ref.set({ ownerUid: users[i]?.uid, active: BENCH_OPTIONS.maxActiveJobsPerUser, updatedAt: new Date() })));
  const noOpCreate = (user: BenchUser) => user.createVideoJob({ prompt: 'vidgen bench: warm-up (refused)', model: 'animatediff' });
  try {
    const [first] = users as [BenchUser];
    const cold = await burst([first], noOpCancel);
    step.tick(`cold call: ${ms(cold.wallMs)}`);
    const warmCalls = [];
    for (let i = 0; i < 3; i += 1) warmCalls.push(await burst([first], noOpCancel));
    step.tick();
    const ramps: Array<{ fn: string; n: number; wallMs: number; codes: Map<string, number> }> = [];
    for (const [fn, call, answer] of [['cancelVideoJob', noOpCancel, 'not-found'], ['createVideoJob', noOpCreate, 'resource-exhausted']] as const) {
      // A process that missed the emulator's 30 s is never used: start others until a full burst is answered.
      for (const n of [...RAMP, CONCURRENCY, CONCURRENCY]) {
        const result = await burst(users.slice(0, n), call);
        ramps.push({ fn, n, wallMs: result.wallMs, codes: result.codes });
        step.tick(`${fn} × ${n}: ${ms(result.wallMs)}`);
        if (n === CONCURRENCY && result.codes.get(answer) === CONCURRENCY) break;
      }
    }
    const ran: number[] = [];
    for (const n of RAMP) {
      ran.push(await warmRunAttempt(ctx, n));
      step.tick(`runAttempt × ${n}`);
    }
    const warm = p50(warmCalls.map((b) => b.wallMs));
    const failed = ramps.reduce((total, r) => total + [...r.codes].filter(([code]) => code !== 'not-found' && code !== 'resource-exhausted').reduce((t, [, k]) => t + k, 0), 0);
    return {
      title: `0. Functions emulator: start ${CONCURRENCY} runtime processes per callable (no-op calls, nothing written)`,
      details: [
        {
          title: 'A call on a cold function against the same call warm, then bursts that start processes',
          header: ['calls', 'wall time', 'answers'],
          rows: [
            ['cancelVideoJob(unknown id) × 1, cold', ms(cold.wallMs), codesText(cold.codes)],
            ['cancelVideoJob(unknown id) × 1, warm (median of 3)', ms(warm), codesText(warmCalls.at(-1)?.codes ?? new Map())],
            ...(['cancelVideoJob', 'createVideoJob'] as const).map((fn) => {
              const mine = ramps.filter((r) => r.fn === fn);
              const codes = new Map<string, number>();
              for (const r of mine) for (const [code, n] of r.codes) codes.set(code, (codes.get(code) ?? 0) + n);
              const slowest = mine.reduce((a, b) => (b.wallMs > a.wallMs ? b : a));
              return [`${fn === 'cancelVideoJob' ? 'cancelVideoJob(unknown id)' : 'createVideoJob(a user at their limit)'}, bursts of ${RAMP.join(', ')} at once`, `${ms(mine.reduce((t, r) => t + r.wallMs, 0))} (slowest: ${slowest.n} at once, ${ms(slowest.wallMs)})`, codesText(codes)];
            }),
            [`runAttempt(a job that does not exist), bursts of ${RAMP.join(', ')}`, '', `${ran.reduce((a, b) => a + b, 0)} of ${RAMP.reduce((a, b) => a + b, 0)} ran`],
          ],
          notes: [
            'The emulator starts a runtime process for each concurrent invocation when none is idle (Cloud Run: up to 80 requests per instance); a process that is not ready within 30 s fails its request, which the client sees as deadline-exceeded after its own timeout.',
            'The timed scenarios run after this, on started processes.',
          ],
        },
      ],
      figures: [
        {
          id: '0',
          name: 'functions emulator: one call on a cold function → warm (a runtime process start-up)',
          value: `${ms(cold.wallMs)} → ${ms(warm)}${failed ? ` (${failed} warm-up calls failed)` : ''}`,
          target: '—',
          pass: null,
        },
      ],
    };
  } finally {
    step.done();
    await Promise.all(quotas.map((ref) => ref.delete().catch(() => undefined)));
    await Promise.all(users.map((user) => user.close()));
  }
}

/**
 * Sends `count` `runAttempt` tasks for jobs that do not exist (read, then nothing to do) and waits
 * until the emulator ran them; how many ran. They name a second attempt: a first attempt's task waits
 * a while for its job, which createVideoJob may still be committing.
 */
async function warmRunAttempt(ctx: BenchContext, count: number): Promise<number> {
  const marker = `bench-warm-${randomUUID().slice(0, 8)}`;
  const queue = getFunctions(ctx.adminApp).taskQueue('runAttempt');
  await Promise.all(Array.from({ length: count }, (_, i) => queue.enqueue({ jobId: `${marker}-${i}`, attemptIndex: 1 }, { id: `${marker}-${i}` })));
  const ran = () => ctx.tail.lines.filter((line) => line.text.includes('Nothing to do for this task') && line.text.includes(marker)).length;
  const deadline = Date.now() + 90_000;
  while (ran() < count && Date.now() < deadline) await sleep(200);
  return ran();
}

/** One pattern's latencies. */
export interface FloorSamples {
  /** A plain read, then a commit conditional on its updateTime (each job write now). */
  conditionalWrite: number[];
  /** A read-modify-write transaction (each job write before). */
  transaction: number[];
  /** Two transactions on one document at once, until both commit (a claim racing a dispatcher's claim, before). */
  twoTransactions: number[];
  /** Two conditional writers on one document at once, until both land (the same race now). */
  twoConditionalWrites: number[];
}

/**
 * The Firestore emulator on its own, without our code: the patterns a job's writes make, on a
 * scratch document of a job's size that an Admin SDK listener watches (as the worker's lease watch
 * does), sampled between the jobs of a scenario so that a slow moment slows both.
 */
export class FirestoreFloor {
  readonly samples: FloorSamples = { conditionalWrite: [], transaction: [], twoTransactions: [], twoConditionalWrites: [] };
  private readonly ref: DocumentReference;
  private stopListening: (() => void) | null = null;

  constructor(db: Firestore) {
    this.ref = db.collection('bench-floor').doc(randomUUID());
  }

  async start(): Promise<void> {
    await this.ref.set({ n: 0, payload: 'x'.repeat(2000), updatedAt: FieldValue.serverTimestamp() });
    this.stopListening = this.ref.onSnapshot(() => undefined, () => undefined);
  }

  private async conditionalWrite(): Promise<void> {
    await optimistically(async () => {
      const snapshot = await this.ref.get();
      await this.ref.firestore.batch().update(this.ref, { n: Number(snapshot.get('n')) + 1 }, { lastUpdateTime: snapshot.updateTime! }).commit();
    });
  }

  private async transaction(): Promise<void> {
    await this.ref.firestore.runTransaction(async (tx) => {
      const snapshot = await tx.get(this.ref);
      tx.update(this.ref, { n: Number(snapshot.get('n')) + 1 });
    });
  }

  private static async timed(work: () => Promise<unknown>): Promise<number> {
    const started = performance.now();
    await work();
    return performance.now() - started;
  }

  /** One sample of each pattern. */
  async sample(): Promise<void> {
    const { samples } = this;
    samples.conditionalWrite.push(await FirestoreFloor.timed(() => this.conditionalWrite()));
    samples.transaction.push(await FirestoreFloor.timed(() => this.transaction()));
    samples.twoTransactions.push(await FirestoreFloor.timed(() => Promise.all([this.transaction(), this.transaction()])));
    samples.twoConditionalWrites.push(await FirestoreFloor.timed(() => Promise.all([this.conditionalWrite(), this.conditionalWrite()])));
  }

  async stop(): Promise<void> {
    this.stopListening?.();
    await this.ref.delete().catch(() => undefined);
  }

  /** Detail rows: pattern, p50, p95, what it stands for. */
  rows(): string[][] {
    const row = (name: string, values: number[], what: string) => [name, ms(p50(values)), ms(p95(values)), `${what}, n=${values.length}`];
    return [
      row('Firestore alone: read + conditional commit', this.samples.conditionalWrite, 'one job write now (no lock)'),
      row('Firestore alone: transaction', this.samples.transaction, 'one job write before'),
      row('Firestore alone: two conditional writes on one doc', this.samples.twoConditionalWrites, 'a race now: the loser reads again'),
      row('Firestore alone: two transactions on one doc', this.samples.twoTransactions, 'a race before: the emulator holds the second behind its lock'),
    ];
  }
}
