import type { BenchContext, SectionResult } from './context';
import { createJob } from './jobs';
import { setSimTiming } from './probes';
import { ms, p50, p95, sum } from './stats';
import { BENCH_OPTIONS } from './bench-stack';
import { callableCode, signedInUser, type BenchUser } from './web-client';

const CLIENTS = 20;
const CALLS_PER_CLIENT = 10;
/** Slow jobs, so that the ones created hold their users' quota for the whole burst. */
const STEP_MS = 2000;
/** Bounds: each call (the web SDK's own default), and the burst (calls not started by then are counted, not sent). */
const CALL_TIMEOUT_MS = 70_000;
const BURST_DEADLINE_MS = 150_000;
const CANCEL_P95_TARGET_MS = 2000;

interface Cancel {
  start: number;
  end: number;
  /** Sent while other clients were still calling createVideoJob. */
  duringBurst: boolean;
  code: string;
}

/** Figure 6: 200 createVideoJob calls from 20 concurrent clients, each cancelling the jobs it made right after its calls. */
export async function measureCallableLoad(ctx: BenchContext): Promise<SectionResult> {
  await setSimTiming(ctx.worker.comfyuiUrl, { stepMs: STEP_MS });
  const users: BenchUser[] = await Promise.all(Array.from({ length: CLIENTS }, () => signedInUser(ctx.state, { callTimeoutMs: CALL_TIMEOUT_MS })));
  const step = ctx.progress.step('6 callable load: 200 calls, 20 clients', CLIENTS * CALLS_PER_CLIENT);
  const latencies: number[] = [];
  const outcomes = new Map<string, number>();
  const count = (key: string) => outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
  const cancels: Cancel[] = [];
  const started = Date.now();
  let burstEnded = Number.POSITIVE_INFINITY;
  let callsLeft = CLIENTS;
  try {
    // Each client makes its calls, then at once cancels the jobs it made, while the others may still
    // be calling: cancels run against a busy queue (pending attempts, dispatches, other calls).
    await Promise.all(users.map(async (user, u) => {
      const mine: string[] = [];
      for (let i = 0; i < CALLS_PER_CLIENT && !ctx.signal.aborted; i += 1) {
        const callStart = Date.now();
        if (callStart - started > BURST_DEADLINE_MS) {
          count('not sent (burst deadline)');
          step.tick();
          continue;
        }
        try {
          const { jobId } = await createJob(user, `load ${u}-${i}`);
          mine.push(jobId);
          count('ok');
        } catch (error) {
          count(callableCode(error));
        }
        latencies.push(Date.now() - callStart);
        step.tick();
      }
      callsLeft -= 1;
      if (callsLeft === 0) burstEnded = Date.now();
      for (const jobId of mine) {
        const start = Date.now();
        const code = await user.cancelVideoJob(jobId).then(() => 'ok', (error: unknown) => callableCode(error));
        cancels.push({ start, end: Date.now(), duringBurst: start < burstEnded, code });
      }
    }));
  } finally {
    step.done();
    await Promise.all(users.map((user) => user.close()));
  }
  const burstMs = burstEnded - started;
  const cancelErrors = new Map<string, number>();
  for (const cancel of cancels) if (cancel.code !== 'ok') cancelErrors.set(cancel.code, (cancelErrors.get(cancel.code) ?? 0) + 1);
  const cancelLatencies = cancels.map((c) => c.end - c.start);
  const cancelWindow = cancels.length ? Math.max(...cancels.map((c) => c.end)) - Math.min(...cancels.map((c) => c.start)) : 0;
  const cancelRate = cancelWindow > 0 ? cancels.length / (cancelWindow / 1000) : 0;
  const cancelP95 = p95(cancelLatencies);

  const ok = outcomes.get('ok') ?? 0;
  const exhausted = outcomes.get('resource-exhausted') ?? 0;
  const others = [...outcomes].filter(([code]) => code !== 'ok' && code !== 'resource-exhausted' && !code.startsWith('not sent'));
  const notSent = outcomes.get('not sent (burst deadline)') ?? 0;
  const otherCount = others.reduce((total, [, n]) => total + n, 0);
  return {
    title: `6. Callable under load (${CLIENTS} clients × ${CALLS_PER_CLIENT} createVideoJob calls, per-user limit ${BENCH_OPTIONS.maxActiveJobsPerUser})`,
    details: [
      {
        title: 'Outcomes',
        header: ['outcome', 'calls'],
        rows: [...outcomes].sort((a, b) => b[1] - a[1]).map(([code, n]) => [code, String(n)]),
        notes: [
          'a job that ends during the burst frees a place in its owner\'s limit, so more than 100 calls can succeed',
          `each call times out after ${ms(CALL_TIMEOUT_MS)} (deadline-exceeded); calls not started within ${ms(BURST_DEADLINE_MS)} are not sent`,
          `burst took ${ms(burstMs)}; latency p50 ${ms(p50(latencies))}, p95 ${ms(p95(latencies))}, max ${ms(Math.max(...latencies))}`,
          `cancelVideoJob by each client on each job it made, right after its own calls (${cancels.filter((c) => c.duringBurst).length} of ${cancels.length} while other clients were still calling): ${cancels.length - sum([...cancelErrors.values()])} answered${cancelErrors.size ? `, failed: ${[...cancelErrors].map(([code, n]) => `${code} ${n}`).join(', ')}` : ''}; ${cancelRate.toFixed(1)} a second; latency p50 ${ms(p50(cancelLatencies))}, p95 ${ms(cancelP95)} (a job that already ended answers with its state)`,
        ],
      },
    ],
    figures: [
      {
        id: '6',
        name: 'createVideoJob under load: ok / resource-exhausted / other errors',
        value: `${ok} / ${exhausted} / ${otherCount}${others.length ? ` (${others.map(([c, n]) => `${c} ${n}`).join(', ')})` : ''}${notSent ? `; ${notSent} not sent` : ''}`,
        target: 'other = 0',
        pass: otherCount === 0 && notSent === 0,
        sample: { value: otherCount + notSent, format: (value) => `${value} other`, judge: (value) => value === 0, judgeEvery: true },
      },
      { id: '6b', name: 'createVideoJob latency under load, p95', value: `${ms(p95(latencies))} (p50 ${ms(p50(latencies))})`, target: '—', pass: null, sample: { value: p95(latencies), format: ms } },
      {
        id: '6c',
        name: 'cancelVideoJob while the queue is busy: latency p95 (throughput)',
        value: `${ms(cancelP95)} (${cancelRate.toFixed(1)} a second, ${cancels.length} cancels, ${cancelErrors.size ? `failed: ${[...cancelErrors].map(([code, n]) => `${code} ${n}`).join(', ')}` : 'none failed'})`,
        target: `p95 ≤ ${ms(CANCEL_P95_TARGET_MS)}, none failed`,
        pass: cancelP95 <= CANCEL_P95_TARGET_MS && cancelErrors.size === 0,
        sample: { value: cancelErrors.size === 0 ? cancelP95 : Number.POSITIVE_INFINITY, format: ms, judge: (value) => value <= CANCEL_P95_TARGET_MS },
      },
      { id: '6d', name: 'cancelVideoJob throughput while the queue is busy (20 clients, one call at a time each)', value: `${cancelRate.toFixed(1)} a second`, target: '—', pass: null, sample: { value: cancelRate, format: (value) => `${value.toFixed(1)}/s` } },
    ],
  };
}
