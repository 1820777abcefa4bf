import { GLOBAL_LEDGER_SHARDS, LIMITS_DOCUMENT, toMicroUsd, utcMonthKey, type Limits } from '@vidgen/contract';
import { DEMO_LIMITS } from '../stack/demo-limits';
import { growFunctionsPool } from '../stack/functions-pool';
import { sleep, type BenchContext, type SectionResult } from './context';
import { createJob } from './jobs';
import { setSimTiming } from './probes';
import { ms, p50, p95 } from './stats';
import { callableCode, signedInUser, type BenchUser } from './web-client';

const CLIENTS = 20;
const CALLS_PER_CLIENT = 10;
const TARGET_RATIO = 1.5;
/** Slow jobs, so that the ones created hold their reservations through the burst. */
const STEP_MS = 2000;
const CALL_TIMEOUT_MS = 120_000;
/** What an AnimateDiff job reserves on the bench stack (comfyui-only): 3 tries × 1800 s × $0.44 an hour. */
const JOB_WORST_CASE_USD = 0.66;

/** Why a call was refused with resource-exhausted, from its message. */
function exhaustedReason(message: string): string {
  if (/too fast/.test(message)) return 'resource-exhausted: rate';
  if (/monthly budget/.test(message)) return 'resource-exhausted: monthly budget';
  if (/daily budget/.test(message)) return 'resource-exhausted: daily budget';
  if (/in progress/.test(message)) return 'resource-exhausted: active jobs';
  return 'resource-exhausted: other';
}

/** What this month's ledger holds (reserved + spent), in micro-dollars. */
async function monthUsed(ctx: BenchContext): Promise<number> {
  const month = utcMonthKey(new Date());
  const shards = await ctx.admin.getAll(...Array.from({ length: GLOBAL_LEDGER_SHARDS }, (_, i) => ctx.admin.doc(`ledgers/global-${month}/shards/${i}`)));
  return shards.reduce((sum, s) => sum + Number(s.get('reservedMicroUsd') ?? 0) + Number(s.get('spentMicroUsd') ?? 0), 0);
}

/**
 * What the function logged for each job it created: the time until its commit, how many
 * read-decide-commit rounds that took and what the lost ones lost on, the shards it took from, and
 * the time its first attempt's hand-off to the queue took (it runs beside the commit).
 */
function createdJobsServerSide(ctx: BenchContext, jobIds: readonly string[]): { commitMs: number[]; enqueueMs: number[]; rounds: string; lostOn: string; shards: string } {
  const wanted = new Set(jobIds);
  const commitMs: number[] = [];
  const enqueueMs: number[] = [];
  const roundCounts = new Map<number, number>();
  const lostOn = new Map<string, number>();
  const shardCounts = new Map<number, number>();
  for (const { text } of ctx.tail.lines) {
    if (text.includes('"First attempt handed to the queue"')) {
      const handOff = Number(/"enqueueMs":(\d+)/.exec(text)?.[1]);
      if (wanted.has(/"jobId":"([^"]+)"/.exec(text)?.[1] ?? '') && Number.isFinite(handOff)) enqueueMs.push(handOff);
      continue;
    }
    if (!text.includes('"Job created"')) continue;
    const jobId = /"jobId":"([^"]+)"/.exec(text)?.[1];
    const commit = Number(/"commitMs":(\d+)/.exec(text)?.[1]);
    const rounds = Number(/"rounds":(\d+)/.exec(text)?.[1]);
    if (!jobId || !wanted.has(jobId) || !Number.isFinite(commit) || !Number.isFinite(rounds)) continue;
    commitMs.push(commit);
    roundCounts.set(rounds, (roundCounts.get(rounds) ?? 0) + 1);
    for (const kind of JSON.parse(/"lostOn":(\[[^\]]*\])/.exec(text)?.[1] ?? '[]') as string[]) lostOn.set(kind, (lostOn.get(kind) ?? 0) + 1);
    const shards = Number(/"shards":(\d+)/.exec(text)?.[1]);
    if (Number.isFinite(shards)) shardCounts.set(shards, (shardCounts.get(shards) ?? 0) + 1);
  }
  const rounds = [...roundCounts].sort((a, b) => a[0] - b[0]).map(([n, count]) => `${n}: ${count} jobs`).join(', ') || 'none logged';
  return {
    commitMs,
    enqueueMs,
    rounds,
    lostOn: [...lostOn].sort((a, b) => b[1] - a[1]).map(([kind, count]) => `${kind} ${count}`).join(', ') || 'no commit lost',
    shards: [...shardCounts].sort((a, b) => a[0] - b[0]).map(([n, count]) => `${n}: ${count} jobs`).join(', ') || 'none logged',
  };
}

/**
 * Figure 7: 200 createVideoJob calls from 20 anonymous clients with every budget on and binding
 * (each user's daily budget, the month's, the per-user rate), against a no-op callable measured by
 * the same clients in the same burst: each client alternates a no-op call and a creation, so both see
 * the same load. The jobs made are cancelled afterwards and the demo limits put back.
 */
export async function measureBudgetsLoad(ctx: BenchContext): Promise<SectionResult> {
  await setSimTiming(ctx.worker.comfyuiUrl, { stepMs: STEP_MS });
  const usedBefore = await monthUsed(ctx);
  const budgetUsd = Math.ceil((usedBefore / 1e6 + 40) * 100) / 100;
  const limits: Limits = {
    paused: false,
    anonymousModels: ['animatediff'],
    // Four jobs held at once per anonymous user; the month holds about 60 of the 200 asked for.
    anonymousUserDailyBudgetUsd: 3,
    userDailyBudgetUsd: 12,
    globalMonthlyBudgetUsd: budgetUsd,
    userJobsPerMinute: 8,
    tiers: DEMO_LIMITS.tiers,
  };
  await ctx.admin.doc(LIMITS_DOCUMENT).set(limits);
  const users: BenchUser[] = await Promise.all(Array.from({ length: CLIENTS }, () => signedInUser(ctx.state, { callTimeoutMs: CALL_TIMEOUT_MS })));
  const noop = async (user: BenchUser) => {
    try {
      await user.cancelVideoJob('bench-no-such-job');
      return false;
    } catch (error) {
      return callableCode(error) === 'not-found';
    }
  };
  const created: Array<{ user: BenchUser; jobId: string }> = [];
  /** Each outcome's latencies (ms). */
  const outcomes = new Map<string, number[]>();
  const count = (key: string, latency: number) => outcomes.set(key, [...(outcomes.get(key) ?? []), latency]);
  const noopLatencies: number[] = [];
  const createLatencies: number[] = [];
  let noopFailures = 0;
  let usedAfter = 0;
  try {
    // The functions emulator starts a process per concurrent call; grow both pools first (see growFunctionsPool).
    ctx.progress.note('7 budgets: growing the emulator\'s processes for 20 concurrent calls of each callable');
    await growFunctionsPool((i) => noop(users[i % CLIENTS]!), CLIENTS);
    await growFunctionsPool(async (i) => {
      try {
        await users[i % CLIENTS]!.createVideoJob({});
        return false;
      } catch (error) {
        return callableCode(error) === 'invalid-argument';
      }
    }, CLIENTS);
    // A process's first real creation also opens its Firestore and Cloud Tasks clients; make it
    // happen before the burst (as figure 1's untimed jobs do), with users of its own under the demo limits.
    ctx.progress.note('7 budgets: a first real creation in each of those processes (made with other users, then cancelled)');
    const warmers = await Promise.all(Array.from({ length: CLIENTS }, () => signedInUser(ctx.state, { callTimeoutMs: CALL_TIMEOUT_MS })));
    try {
      await Promise.all(warmers.map(async (user, u) => {
        const { jobId } = await createJob(user, `budgets warm-up ${u}`);
        await user.cancelVideoJob(jobId).catch(() => undefined);
      }));
    } finally {
      await Promise.all(warmers.map((user) => user.close()));
    }
    // The bench stack reads config/limits at most every 5 s (LIMITS_CACHE_SECONDS, production's).
    await sleep(Math.max(0, ctx.state.limitsCacheSeconds * 1000 + 500));

    const step = ctx.progress.step('7 budgets: 200 creations and 200 no-op calls, 20 clients', CLIENTS * CALLS_PER_CLIENT);
    try {
      await Promise.all(users.map(async (user, u) => {
        for (let i = 0; i < CALLS_PER_CLIENT && !ctx.signal.aborted; i += 1) {
          const noopStart = Date.now();
          if (await noop(user)) noopLatencies.push(Date.now() - noopStart);
          else noopFailures += 1;
          const callStart = Date.now();
          let outcome: string;
          try {
            const { jobId } = await createJob(user, `budgets ${u}-${i}`);
            created.push({ user, jobId });
            outcome = 'ok';
          } catch (error) {
            const code = callableCode(error);
            outcome = code === 'resource-exhausted' ? exhaustedReason((error as Error).message) : code;
          }
          const latency = Date.now() - callStart;
          count(outcome, latency);
          createLatencies.push(latency);
          step.tick();
        }
      }));
    } finally {
      step.done();
    }
    usedAfter = await monthUsed(ctx);

    const cancelStep = ctx.progress.step('7 budgets: cancelling the jobs made', created.length);
    try {
      await Promise.all(users.map(async (user) => {
        for (const { jobId } of created.filter((c) => c.user === user)) {
          await user.cancelVideoJob(jobId).catch(() => undefined);
          cancelStep.tick();
        }
      }));
    } finally {
      cancelStep.done();
    }
  } finally {
    await Promise.all(users.map((user) => user.close()));
    await ctx.admin.doc(LIMITS_DOCUMENT).set(DEMO_LIMITS);
  }

  const counts = [...outcomes].map(([key, latencies]) => [key, latencies.length] as const);
  const ok = outcomes.get('ok')?.length ?? 0;
  const exhausted = counts.filter(([key]) => key.startsWith('resource-exhausted')).reduce((total, [, n]) => total + n, 0);
  const others = counts.filter(([key]) => key !== 'ok' && !key.startsWith('resource-exhausted'));
  const otherCount = others.reduce((total, [, n]) => total + n, 0);
  const ratio = p95(createLatencies) / p95(noopLatencies);
  const server = createdJobsServerSide(ctx, created.map((c) => c.jobId));
  const budgetMicroUsd = toMicroUsd(budgetUsd);
  const withinBudget = usedAfter <= budgetMicroUsd;
  return {
    title: `7. Budgets under load (${CLIENTS} anonymous clients × ${CALLS_PER_CLIENT} createVideoJob calls, each after a no-op call)`,
    details: [
      {
        title: 'Outcomes and latency',
        header: ['calls', 'count', 'p50', 'p95', 'max'],
        rows: [
          ['createVideoJob, every outcome', String(createLatencies.length), ms(p50(createLatencies)), ms(p95(createLatencies)), ms(Math.max(...createLatencies))],
          ['no-op callable (cancelVideoJob of an unknown id)', String(noopLatencies.length), ms(p50(noopLatencies)), ms(p95(noopLatencies)), ms(Math.max(...noopLatencies))],
          ...[...outcomes].sort((a, b) => b[1].length - a[1].length).map(([key, latencies]) => [`  ${key}`, String(latencies.length), ms(p50(latencies)), ms(p95(latencies)), ms(Math.max(...latencies))]),
        ],
        notes: [
          `limits: anonymous users $3 a day (an AnimateDiff job reserves $${JOB_WORST_CASE_USD}), ${limits.userJobsPerMinute} creations a minute, the month $${budgetUsd} ($${(usedBefore / 1e6).toFixed(2)} already used by earlier sections + $40)`,
          `month's ledger after the burst: $${(usedAfter / 1e6).toFixed(2)} reserved and spent, budget $${budgetUsd}: ${withinBudget ? 'within' : 'OVER'}`,
          `no-op calls that did not answer not-found: ${noopFailures}; jobs made and cancelled afterwards: ${created.length}`,
          `reserved, inside createVideoJob ("Job created" log lines of ${server.commitMs.length} jobs): until its commit p50 ${ms(p50(server.commitMs))}, p95 ${ms(p95(server.commitMs))}; optimistic rounds ${server.rounds}`,
          `documents a concurrent write had changed under a lost commit: ${server.lostOn}; month shards a reservation took from: ${server.shards}`,
          `the first attempt's hand-off to the task queue, beside the commit (${server.enqueueMs.length} jobs): p50 ${ms(p50(server.enqueueMs))}, p95 ${ms(p95(server.enqueueMs))}`,
        ],
      },
    ],
    figures: [
      {
        id: '7',
        name: 'createVideoJob with budgets on, p95 ÷ no-op callable p95 (same clients, same burst)',
        value: `${ratio.toFixed(2)} (${ms(p95(createLatencies))} / ${ms(p95(noopLatencies))})`,
        target: `≤ ${TARGET_RATIO}`,
        pass: ratio <= TARGET_RATIO,
        sample: { value: ratio, format: (value) => value.toFixed(2), judge: (value) => value <= TARGET_RATIO },
      },
      {
        id: '7b',
        name: 'budgets under load: ok / resource-exhausted / other errors; month within its budget',
        value: `${ok} / ${exhausted} / ${otherCount}${others.length ? ` (${others.map(([c, n]) => `${c} ${n}`).join(', ')})` : ''}; ${withinBudget ? 'within' : 'over'}`,
        target: 'other = 0, within',
        pass: otherCount === 0 && noopFailures === 0 && withinBudget,
        sample: { value: otherCount + noopFailures + (withinBudget ? 0 : 1), format: (value) => `${value} other or over`, judge: (value) => value === 0, judgeEvery: true },
      },
    ],
  };
}
