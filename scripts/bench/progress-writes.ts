import type { BenchContext, SectionResult } from './context';
import { sleep } from './context';
import { runJob, type JobRun } from './jobs';
import { promptsOfJobs, sentEvents, setSimTiming, waitWorkerIdle, workerCounters } from './probes';
import type { Figure } from './report';
import { ms, p50, p95 } from './stats';
import { millis, signedInUser, type BenchUser } from './web-client';

/** The worker's AnimateDiff graph always asks for this many sampler steps (TIER_SPECS). */
const STEPS = 20;
/** Sampling as long as 25 steps at 50 ms, then as 100 steps at 50 ms: the step count itself is fixed by the worker. */
const SHORT_STEP_MS = 62.5;
const LONG_STEP_MS = 250;
const LATENCY_JOBS = 3;
const LATENCY_TARGET_MS = 1500;
const WRITES_TARGET = 15;

interface Measured {
  stepMs: number;
  run: JobRun;
  jobWrites: number;
  progressWrites: number;
  /** Claim to end of the attempt, on the worker. */
  attemptSeconds: number;
  latencies: number[];
}

/** Worker counters once they stop moving (the finish write lands just before the client's snapshot). */
async function settledCounters(workerUrl: string): Promise<{ jobWrites: number; progressWrites: number }> {
  let last = await workerCounters(workerUrl);
  for (let i = 0; i < 12; i += 1) {
    await sleep(250);
    const now = await workerCounters(workerUrl);
    if (now.jobWrites === last.jobWrites && now.progressWrites === last.progressWrites) return now;
    last = now;
  }
  return last;
}

async function measureJob(ctx: BenchContext, user: BenchUser, stepMs: number, label: string): Promise<Measured> {
  await setSimTiming(ctx.worker.comfyuiUrl, { stepMs });
  const before = await settledCounters(ctx.worker.url);
  const run = await runJob(user, label, 120_000);
  const after = await settledCounters(ctx.worker.url);
  const record = (run.final.data.attempts as Array<{ startedAt: unknown; endedAt: unknown }>)[0];
  const prompt = (await promptsOfJobs(ctx.worker.comfyuiUrl, [run.jobId])).get(run.jobId);
  if (!prompt) throw new Error(`no simulator history for job ${run.jobId}`);
  // When the simulator sent each sampler step, matched to the first snapshot the client saw at that step.
  const sentAt = new Map<number, number>();
  for (const event of await sentEvents(ctx.worker.comfyuiUrl, prompt.promptId)) {
    if (event.type === 'progress' && prompt.samplerNodes.includes(String(event.data.node))) sentAt.set(Number(event.data.value), event.sentAt);
  }
  const latencies: number[] = [];
  const seenSteps = new Set<number>();
  for (const snapshot of run.watch.seen) {
    const progress = snapshot.data.progress as { stage?: string; step?: number | null } | undefined;
    if (progress?.stage !== 'sampling' || typeof progress.step !== 'number' || seenSteps.has(progress.step)) continue;
    seenSteps.add(progress.step);
    const sent = sentAt.get(progress.step);
    if (sent !== undefined) latencies.push(snapshot.at - sent);
  }
  return {
    stepMs,
    run,
    jobWrites: 1 + after.jobWrites - before.jobWrites,
    progressWrites: after.progressWrites - before.progressWrites,
    attemptSeconds: (millis(record?.endedAt) - millis(record?.startedAt)) / 1000,
    latencies,
  };
}

/** Figures 3 and 4: progress latency (sim sends step k → client sees step k) and Firestore writes per job. */
export async function measureProgressAndWrites(ctx: BenchContext): Promise<SectionResult> {
  if (!(await waitWorkerIdle(ctx.worker.url, 90_000))) throw new Error('the worker still runs attempts of an earlier section after 90 s');
  const user = await signedInUser(ctx.state);
  const step = ctx.progress.step('3+4 progress latency and writes per job', LATENCY_JOBS + 1);
  const measured: Measured[] = [];
  try {
    measured.push(await measureJob(ctx, user, SHORT_STEP_MS, 'writes, short sampling'));
    step.tick(`stepMs ${SHORT_STEP_MS}: ${measured.at(-1)?.jobWrites} writes`);
    for (let i = 0; i < LATENCY_JOBS; i += 1) {
      ctx.signal.throwIfAborted();
      measured.push(await measureJob(ctx, user, LONG_STEP_MS, `progress latency ${i + 1}`));
      step.tick(`stepMs ${LONG_STEP_MS}: ${measured.at(-1)?.jobWrites} writes`);
    }
  } finally {
    step.done();
    await user.close();
  }

  const short = measured[0] as Measured;
  const long = measured.slice(1);
  const latencies = long.flatMap((m) => m.latencies);
  const rateOk = measured.every((m) => m.progressWrites <= Math.ceil(m.attemptSeconds) + 1);
  const worstLong = Math.max(...long.map((m) => m.jobWrites));
  const samplingSeconds = (m: Measured) => (STEPS * m.stepMs) / 1000;
  const perSecond = (worstLong - short.jobWrites) / (samplingSeconds(long[0] as Measured) - samplingSeconds(short));
  const figures: Figure[] = [
    { id: '3', name: 'progress latency, sim sends step k → client snapshot at step k, p50 / p95', value: `${ms(p50(latencies))} / ${ms(p95(latencies))} (n=${latencies.length})`, target: `p95 ≤ ${ms(LATENCY_TARGET_MS)}`, pass: p95(latencies) <= LATENCY_TARGET_MS },
    { id: '3b', name: 'progress writes vs attempt duration (≤ 1 a second, +1 for the first)', value: measured.map((m) => `${m.progressWrites} in ${m.attemptSeconds.toFixed(1)} s`).join('; '), target: '≤ ⌈s⌉ + 1', pass: rateOk },
    { id: '4a', name: `Firestore writes per job, ${STEPS} steps × ${SHORT_STEP_MS} ms (1.25 s sampling ≈ 25 steps × 50 ms)`, value: String(short.jobWrites), target: `≤ ${WRITES_TARGET}`, pass: short.jobWrites <= WRITES_TARGET },
    { id: '4b', name: `Firestore writes per job, ${STEPS} steps × ${LONG_STEP_MS} ms (5 s sampling ≈ 100 steps × 50 ms), worst of ${long.length}`, value: String(worstLong), target: `≤ ${WRITES_TARGET}`, pass: worstLong <= WRITES_TARGET, note: `writes grow with sampling time, not steps: +${perSecond.toFixed(1)} per extra sampling second (progress is written at most once a second); the step count stays ${STEPS} because the worker's graph fixes it` },
  ];
  return {
    title: `3 + 4. Progress latency and Firestore writes per job (sequential jobs on an idle worker, ${STEPS} steps each)`,
    details: [
      {
        title: 'Per job',
        header: ['sim stepMs', 'sampling', 'attempt on worker', 'job writes (1 + worker)', 'of which progress', 'progress snapshots matched', 'latency p50 / max'],
        rows: measured.map((m) => [String(m.stepMs), `${samplingSeconds(m).toFixed(2)} s`, `${m.attemptSeconds.toFixed(2)} s`, String(m.jobWrites), String(m.progressWrites), String(m.latencies.length), m.latencies.length ? `${ms(p50(m.latencies))} / ${ms(Math.max(...m.latencies))}` : 'n/a']),
        notes: [
          'job writes = 1 (the callable creates the job) + the change of vidgen_job_writes_total on the worker around the job (claim, prompt id, progress, lease check before upload, finish).',
          'The worker always asks ComfyUI for 20 steps (TIER_SPECS); longer sampling is simulated with a slower stepMs, so writes are reported against sampling seconds.',
        ],
      },
    ],
    figures,
  };
}
