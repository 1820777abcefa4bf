import type { BenchContext, SectionResult } from './context';
import { awaitAll, createJobPatiently } from './jobs';
import { promptsOfJobs, setSimTiming } from './probes';
import { ms, sum } from './stats';
import { millis, signedInUser, type BenchUser } from './web-client';

const USERS = 4;
const JOBS_PER_USER = 5;
const STEP_MS = 100;
const TARGET_RATIO = 1.03;
const IDLE_WITH_WORK_TARGET_MS = 1000;

interface Span {
  start: number;
  end: number;
}

/**
 * The longest stretch (and the sum of all) in which the GPU ran no prompt although a job was waiting
 * for it (written, not yet executing), between `from` and `to`. This is what the worker's backlog
 * pull must prevent whatever Cloud Tasks and the emulators do: an idle slot with pending work.
 */
export function idleWithWork(executing: readonly Span[], waiting: readonly Span[], from: number, to: number): { longest: number; total: number } {
  const points = [...new Set([from, to, ...executing.flatMap((s) => [s.start, s.end]), ...waiting.flatMap((s) => [s.start, s.end])])]
    .filter((t) => t >= from && t <= to)
    .sort((a, b) => a - b);
  let longest = 0;
  let total = 0;
  let stretch = 0;
  for (let i = 1; i < points.length; i += 1) {
    const a = points[i - 1] as number;
    const b = points[i] as number;
    const idle = !executing.some((s) => s.start < b && s.end > a);
    const work = waiting.some((s) => s.start <= a && s.end >= b);
    if (idle && work) {
      stretch += b - a;
      total += b - a;
      longest = Math.max(longest, stretch);
    } else {
      stretch = 0;
    }
  }
  return { longest, total };
}

/** Figure 2: 20 jobs at once on one worker (2 slots): how much of the makespan the simulated GPU sits idle. */
export async function measureIdleGap(ctx: BenchContext): Promise<SectionResult> {
  await setSimTiming(ctx.worker.comfyuiUrl, { stepMs: STEP_MS });
  const users: BenchUser[] = await Promise.all(Array.from({ length: USERS }, () => signedInUser(ctx.state)));
  const total = USERS * JOBS_PER_USER;
  const step = ctx.progress.step('2 idle gap: 20 jobs at once, 1 worker', total);
  const jobIds: string[] = [];
  let failed = 0;
  const backends = new Map<string, number>();
  const createdAt = new Map<string, number>();
  let retries = 0;
  let createErrors: unknown[] = [];
  try {
    const created = await Promise.all(users.map((user, u) => Promise.allSettled(Array.from({ length: JOBS_PER_USER }, (_, j) => createJobPatiently(user, `idle gap ${u}-${j}`)))));
    const made = created.map((results) => results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : [])));
    createErrors = created.flat().flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
    retries = made.flat().reduce((total, c) => total + c.retries, 0);
    jobIds.push(...made.flat().map((c) => c.jobId));
    if (createErrors.length > 0) {
      // Leave nothing running behind for the next sections.
      await Promise.all(users.map((user, u) => Promise.all((made[u] ?? []).map((c) => user.cancelVideoJob(c.jobId).catch(() => undefined)))));
      throw new Error(`${createErrors.length} of ${total} createVideoJob calls failed after retries: ${(createErrors[0] as Error).message}`);
    }
    const ends = await Promise.all(users.map((user, u) => awaitAll(user, (made[u] ?? []).map((c) => c.jobId), 300_000, (job) => step.tick(String(job.state)))));
    failed = ends.flat().filter((end) => end instanceof Error || end.data.state !== 'succeeded').length;
    ends.forEach((userEnds, u) => userEnds.forEach((end, k) => {
      const jobId = made[u]?.[k]?.jobId;
      if (jobId && !(end instanceof Error)) createdAt.set(jobId, millis(end.data.createdAt));
    }));
    for (const end of ends.flat()) {
      if (end instanceof Error) continue;
      for (const attempt of (end.data.attempts ?? []) as Array<{ backend: string }>) backends.set(attempt.backend, (backends.get(attempt.backend) ?? 0) + 1);
    }
  } finally {
    step.done();
    await Promise.all(users.map((user) => user.close()));
  }

  const prompts = [...(await promptsOfJobs(ctx.worker.comfyuiUrl, jobIds)).entries()]
    .map(([jobId, p]) => ({ jobId, start: p.executionStart, end: p.executionSuccess }))
    .filter((p) => Number.isFinite(p.start) && Number.isFinite(p.end))
    .sort((a, b) => a.start - b.start);
  if (prompts.length < 2) throw new Error(`only ${prompts.length} of ${total} jobs reached the simulator`);
  const gpu = sum(prompts.map((p) => p.end - p.start));
  const makespan = (prompts.at(-1)?.end ?? 0) - (prompts[0]?.start ?? 0);
  const gaps = prompts.slice(1).map((p, i) => ({ after: i + 1, gap: p.start - (prompts[i]?.end ?? p.start) }));
  const largest = [...gaps].sort((a, b) => b.gap - a.gap).slice(0, 5);
  const ratio = makespan / gpu;
  const idle = sum(gaps.map((g) => Math.max(0, g.gap)));
  const elsewhere = [...backends].filter(([backend]) => backend !== 'comfyui');
  const offGpu = elsewhere.reduce((total, [, n]) => total + n, 0);
  const backendText = [...backends].map(([backend, n]) => `${backend} ${n}`).join(', ');
  const first = prompts[0]?.start ?? 0;
  const waiting = prompts.flatMap((p) => (createdAt.has(p.jobId) ? [{ start: createdAt.get(p.jobId) as number, end: p.start }] : []));
  const starved = idleWithWork(prompts, waiting, first, prompts.at(-1)?.end ?? first);

  return {
    title: '2. GPU idle gap (20 jobs at once, 4 users, 1 worker with MAX_CONCURRENT_JOBS 2, sim stepMs 100)',
    details: [
      {
        title: 'Largest gaps between one prompt ending and the next starting (sim /sim/history)',
        header: ['after prompt #', 'gap'],
        rows: largest.map((g) => [`${g.after} of ${prompts.length}`, ms(g.gap)]),
        notes: [
          `createVideoJob calls repeated after a transient error (same idempotency key): ${retries}`,
          `GPU idle while a job waited (job written, prompt not yet executing), within the makespan: longest ${ms(starved.longest)}, in all ${ms(starved.total)}; the rest of the idle time had no job waiting for the GPU (the clients had not created it yet)`,
          `prompts on the GPU: ${prompts.length} of ${total} jobs (attempts by backend: ${backendText}; jobs not succeeded: ${failed}); pure GPU ${ms(gpu)} (${ms(gpu / prompts.length)} each); makespan ${ms(makespan)}; idle ${ms(idle)} in ${gaps.filter((g) => g.gap > 50).length} gaps > 50 ms`,
          'A gap is how long the GPU waits for its next prompt: the worker pulls the oldest pending attempt the moment a slot frees (and again within 250 ms while it saw work it did not get), and the dispatcher offers each new attempt to every live worker, full or not.',
        ],
      },
    ],
    figures: [
      {
        id: '2',
        name: 'makespan / pure GPU time (first execution_start → last execution_success)',
        value: `${ratio.toFixed(3)} (${ms(makespan)} / ${ms(gpu)})${offGpu ? `; NOT VALID: ${offGpu} of ${total} attempts ran off the GPU (${backendText})` : ''}`,
        target: `≤ ${TARGET_RATIO}`,
        pass: ratio <= TARGET_RATIO && failed === 0 && offGpu === 0,
        sample: { value: failed === 0 && offGpu === 0 ? ratio : Number.POSITIVE_INFINITY, format: (value) => value.toFixed(3), judge: (value) => value <= TARGET_RATIO },
        ...(offGpu ? { note: 'the backend policy was not comfyui-only (see the configuration warning): jobs that found the worker full went to Replicate, so the GPU ran short of queued work' } : {}),
      },
      {
        id: '2b',
        name: 'longest GPU idle while a job waited for it (written, not yet executing)',
        value: `${ms(starved.longest)} (in all ${ms(starved.total)})`,
        target: `≤ ${ms(IDLE_WITH_WORK_TARGET_MS)}`,
        pass: starved.longest <= IDLE_WITH_WORK_TARGET_MS,
        sample: { value: starved.longest, format: ms, judge: (value) => value <= IDLE_WITH_WORK_TARGET_MS, judgeEvery: true },
      },
    ],
  };
}
