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

/** Figure 6: 200 createVideoJob calls from 20 concurrent clients; every job made is cancelled afterwards. */
export async function measureCallableLoad(ctx: BenchContext): Promise<SectionResult> {
  await setSimTiming(ctx.worker.comfyuiUrl, { stepMs: STEP_MS });
  const users: BenchUser[] = await Promise.all(Array.from({ length: CLIENTS }, () => signedInUser(ctx.state, { callTimeoutMs: CALL_TIMEOUT_MS })));
  const step = ctx.progress.step('6 callable load: 200 calls, 20 clients', CLIENTS * CALLS_PER_CLIENT);
  const latencies: number[] = [];
  const outcomes = new Map<string, number>();
  const created: Array<{ user: BenchUser; jobId: string }> = [];
  const count = (key: string) => outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
  const started = Date.now();
  try {
    await Promise.all(users.map(async (user, u) => {
      for (let i = 0; i < CALLS_PER_CLIENT && !ctx.signal.aborted; i += 1) {
        const callStart = Date.now();
        if (callStart - started > BURST_DEADLINE_MS) {
          count('not sent (burst deadline)');
          step.tick();
          continue;
        }
        try {
          const { jobId } = await createJob(user, `load ${u}-${i}`);
          created.push({ user, jobId });
          count('ok');
        } catch (error) {
          count(callableCode(error));
        }
        latencies.push(Date.now() - callStart);
        step.tick();
      }
    }));
  } finally {
    step.done();
  }
  const burstMs = Date.now() - started;

  const cancelStep = ctx.progress.step('6 callable load: cancelling the jobs made', created.length);
  const cancelErrors = new Map<string, number>();
  try {
    await Promise.all(users.map(async (user) => {
      for (const { jobId } of created.filter((c) => c.user === user)) {
        await user.cancelVideoJob(jobId).catch((error: unknown) => {
          const code = callableCode(error);
          cancelErrors.set(code, (cancelErrors.get(code) ?? 0) + 1);
        });
        cancelStep.tick();
      }
    }));
  } finally {
    cancelStep.done();
    await Promise.all(users.map((user) => user.close()));
  }

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
          `cancelVideoJob afterwards on each of the ${created.length} jobs made: ${created.length - sum([...cancelErrors.values()])} answered${cancelErrors.size ? `, failed: ${[...cancelErrors].map(([code, n]) => `${code} ${n}`).join(', ')}` : ''} (a job that already ended answers with its state)`,
        ],
      },
    ],
    figures: [
      { id: '6', name: 'createVideoJob under load: ok / resource-exhausted / other errors', value: `${ok} / ${exhausted} / ${otherCount}${others.length ? ` (${others.map(([c, n]) => `${c} ${n}`).join(', ')})` : ''}${notSent ? `; ${notSent} not sent` : ''}`, target: 'other = 0', pass: otherCount === 0 && notSent === 0 },
      { id: '6b', name: 'createVideoJob latency under load, p50 / p95', value: `${ms(p50(latencies))} / ${ms(p95(latencies))}`, target: '—', pass: null },
    ],
  };
}
