import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FleetSettings } from '@vidgen/contract';
import { BENCH_OPTIONS } from './bench-stack';
import { coverage, idealPodMs, paidPodMs, reversedDecisions, waitsToFirstStep, type Span } from './autoscale-figures';
import { clearFleet, configureFleet, fleetWorkersReady, markStaticWorkers, runDay, tickFleet, type Burst, type DayRecord } from './autoscale-day';
import type { BenchContext, SectionResult } from './context';
import type { Figure } from './report';
import { ms, p50, p95 } from './stats';
import { timelineSvg, type StepSeries, type TimelinePanel } from './timeline-svg';
import { signedInUser, type BenchUser } from './web-client';

const MAX_PODS = 3;
const WINDOW_SECONDS = 15;
const TICK_MS = 2000;
const RATIO_TARGET = 1.3;
/**
 * A day in four minutes: quiet, a burst, quiet until the pods have drained and for more than a
 * window after (so that a scale-up within the window of a scale-down would be the controller's
 * flapping, not demand coming back), a spread-out burst, quiet until the fleet is empty. Each burst
 * keeps every pod busy for about four windows, as a busy hour keeps pods busy for several windows of
 * minutes in production: the window is paid once per scale-down whatever the controller does, so a
 * day of bursts shorter than the window would measure the setting rather than the controller.
 */
const DAY: readonly Burst[] = [
  { atMs: 5_000, jobs: 27, spreadMs: 0 },
  { atMs: 150_000, jobs: 24, spreadMs: 20_000 },
];
const USERS = 8;

const FLEET: FleetSettings = {
  enabled: true,
  minPods: 0,
  maxPods: MAX_PODS,
  jobsPerPod: 1,
  scaleUpStep: MAX_PODS,
  scaleDownStabilisationSeconds: WINDOW_SECONDS,
  gpuTypeIds: ['NVIDIA GeForce RTX 4090'],
  // One attempt per pod, as jobsPerPod says (the worker's default is 2).
  template: { image: 'ghcr.io/vidgen/gpu-worker:local', env: { MAX_CONCURRENT_JOBS: '1' } },
  stopPolicy: 'terminate',
  bootTimeoutSeconds: 60,
};

const seconds = (value: number) => `${(value / 1000).toFixed(1)} s`;

/** The spans of a day's jobs: waiting (created until first claimed) and running on a GPU worker. */
function jobSpans(day: DayRecord): { waiting: Span[]; running: Span[] } {
  const waiting: Span[] = [];
  const running: Span[] = [];
  for (const job of day.jobs) {
    const claims = job.attempts.filter((a) => Number.isFinite(a.startedAt));
    waiting.push({ start: job.createdAt, end: claims[0]?.startedAt ?? day.end });
    for (const a of claims) if (a.backend === 'comfyui' && Number.isFinite(a.endedAt)) running.push({ start: a.startedAt, end: a.endedAt });
  }
  return { waiting, running };
}

/** The pods of a day by state, within the day: booting (billed, worker not registered), ready, draining. */
function podSpans(day: DayRecord): { booting: Span[]; ready: Span[]; draining: Span[] } {
  const clip = (start: number, end: number): Span[] => (Math.min(end, day.end) > Math.max(start, day.start) ? [{ start: Math.max(start, day.start), end: Math.min(end, day.end) }] : []);
  const spans = { booting: [] as Span[], ready: [] as Span[], draining: [] as Span[] };
  for (const pod of day.pods) {
    const until = pod.billedUntil ?? day.end;
    const registered = Math.min(pod.registeredAt ?? until, until);
    const drain = Math.min(pod.drainAt ?? until, until);
    spans.booting.push(...clip(pod.billedFrom, registered));
    spans.ready.push(...clip(registered, drain));
    spans.draining.push(...clip(drain, until));
  }
  return spans;
}

function series(label: string, color: string, spans: readonly Span[]): StepSeries {
  return { label, color, points: coverage(spans).map(({ at, count }) => ({ at, value: count })) };
}

/** A day's panel; `spanMs` gives every panel the same time axis. */
function panel(title: string, day: DayRecord, spanMs: number): TimelinePanel {
  const jobs = jobSpans(day);
  const pods = podSpans(day);
  return {
    title,
    from: day.start,
    to: day.start + spanMs,
    stacked: [series('pods ready', '#4caf50', pods.ready), series('pods booting', '#ff9800', pods.booting), series('pods draining', '#9e9e9e', pods.draining)],
    lines: [series('backlog (jobs waiting)', '#e53935', jobs.waiting), series('jobs running', '#1e88e5', jobs.running)],
    marks: DAY.map((burst, i) => ({ at: day.start + burst.atMs, label: `burst ${i + 1}: ${burst.jobs} jobs${burst.spreadMs ? ` over ${burst.spreadMs / 1000} s` : ''}` })),
  };
}

async function oneDay(ctx: BenchContext, label: string, settings: FleetSettings, users: BenchUser[], prepare: () => Promise<void>): Promise<DayRecord> {
  const total = DAY.reduce((n, b) => n + b.jobs, 0);
  await configureFleet(ctx.admin, settings);
  await prepare();
  const step = ctx.progress.step(label, total);
  try {
    return await runDay(ctx, { bursts: DAY, untilNoPods: settings.minPods === 0, users, onJobEnd: () => step.tick() });
  } finally {
    step.done();
    await clearFleet(ctx);
  }
}

/**
 * A scripted day of bursts and quiet periods, twice: with the fleet controller scaling from zero to
 * MAX_PODS pods, then with MAX_PODS pods kept up throughout. Only fleet pods take work (the stack's
 * worker is drained meanwhile). Paid time, waits and decisions come from the RunPod simulator's
 * billed spans, the jobs' documents and `fleet/state`, each followed by a snapshot listener.
 */
export async function measureAutoscale(ctx: BenchContext): Promise<SectionResult> {
  const users = await Promise.all(Array.from({ length: USERS }, () => signedInUser(ctx.state)));
  const ticker = tickFleet(ctx, TICK_MS);
  let scaled: DayRecord;
  let fixed: DayRecord;
  try {
    await clearFleet(ctx);
    await markStaticWorkers(ctx, true);
    try {
      scaled = await oneDay(ctx, `autoscale: the day, scaling 0-${MAX_PODS} pods`, FLEET, users, async () => undefined);
      fixed = await oneDay(ctx, `autoscale: the day, ${MAX_PODS} pods throughout`, { ...FLEET, minPods: MAX_PODS }, users, () => fleetWorkersReady(ctx.admin, MAX_PODS, 90_000));
    } finally {
      await markStaticWorkers(ctx, false);
    }
  } finally {
    ticker.stop();
    await Promise.all(users.map((user) => user.close()));
  }

  // What the controller adds past the window: from a pod's last attempt's end plus the window to the end of its billing.
  const pastWindow = scaled.pods.flatMap((pod) => {
    const ends = scaled.jobs.flatMap((job) => job.attempts.filter((a) => a.workerId === pod.name && Number.isFinite(a.endedAt)).map((a) => a.endedAt));
    return pod.billedUntil === null || ends.length === 0 ? [] : [pod.billedUntil - (Math.max(...ends) + WINDOW_SECONDS * 1000)];
  });
  const boots = scaled.pods.flatMap((pod) => (pod.registeredAt === null ? [] : [pod.registeredAt - pod.billedFrom]));
  const bootMs = p50(boots);
  const busy = jobSpans(scaled).running;
  const paid = paidPodMs(scaled.pods.map((pod) => ({ start: pod.billedFrom, end: pod.billedUntil })), scaled.end);
  const ideal = idealPodMs(busy, bootMs, FLEET.jobsPerPod ?? 1);
  const ratio = paid / ideal;
  const scaledWaits = waitsToFirstStep(scaled.jobs);
  const fixedWaits = waitsToFirstStep(fixed.jobs);
  const reversed = reversedDecisions(scaled.decisions, WINDOW_SECONDS * 1000);
  const allJobs = [...scaled.jobs, ...fixed.jobs];
  const onReplicate = allJobs.filter((job) => job.attempts.some((a) => a.backend === 'replicate')).length;
  const notSucceeded = allJobs.filter((job) => job.state !== 'succeeded').length;
  const fixedPaid = paidPodMs(fixed.pods.map((pod) => ({ start: Math.max(pod.billedFrom, fixed.start), end: Math.min(pod.billedUntil ?? fixed.end, fixed.end) })), fixed.end);
  const fixedIdeal = idealPodMs(jobSpans(fixed).running, bootMs, FLEET.jobsPerPod ?? 1);

  const svgFile = join(BENCH_OPTIONS.stateDir, 'autoscale-timeline.svg');
  const runpod = BENCH_OPTIONS.runpod;
  const setup = `RunPod simulator: provision ${(runpod?.provisionMs ?? 0) / 1000} s + boot ${(runpod?.bootMs ?? 0) / 1000} s, then the pod's worker and ComfyUI simulator start; fleet tick every ${TICK_MS / 1000} s; scale-down window ${WINDOW_SECONDS} s; jobs of 20 steps × ${runpod?.simStepMs ?? BENCH_OPTIONS.timing.simStepMs} ms`;
  const spanMs = Math.max(scaled.end - scaled.start, fixed.end - fixed.start);
  const panels = [panel(`Scaling 0-${MAX_PODS} pods (jobsPerPod 1, window ${WINDOW_SECONDS} s)`, scaled, spanMs), panel(`${MAX_PODS} pods throughout`, fixed, spanMs)];
  writeFileSync(svgFile, timelineSvg(`vidgen bench: the autoscaled day beside a fixed fleet of ${MAX_PODS} pods`, panels, setup));

  const waitText = (w: { waits: number[]; missing: number }) => `p95 ${ms(p95(w.waits))}, p50 ${ms(p50(w.waits))}${w.missing ? `; ${w.missing} without a sampling write` : ''}`;
  const figures: Figure[] = [
    {
      id: 'as',
      name: `autoscaled day: paid pod time / ideal (busy GPU time per pod, each run rounded up by one boot of ${seconds(bootMs)})`,
      value: `${ratio.toFixed(2)} (paid ${seconds(paid)}, ideal ${seconds(ideal)}, busy ${seconds(busy.reduce((t, s) => t + s.end - s.start, 0))})`,
      target: `≤ ${RATIO_TARGET}`,
      pass: ratio <= RATIO_TARGET,
    },
    {
      id: 'as-b',
      name: `wait from job creation to its first sampler step: scaling 0-${MAX_PODS} pods · ${MAX_PODS} pods throughout`,
      value: `${waitText(scaledWaits)} · ${waitText(fixedWaits)}`,
      target: '—',
      pass: null,
    },
    {
      id: 'as-c',
      name: `scale decisions reversed within the ${WINDOW_SECONDS} s window (up then down, or down then up)`,
      value: `${reversed.length} of ${scaled.decisions.length} decisions`,
      target: '0',
      pass: reversed.length === 0,
    },
    {
      id: 'as-f',
      name: `scale-down: a pod's billing end after its last attempt's end plus the ${WINDOW_SECONDS} s window (the controller's own delay: tick, drain, acknowledgement, stop), p50 / max`,
      value: pastWindow.length ? `${seconds(p50(pastWindow))} / ${seconds(Math.max(...pastWindow))} over ${pastWindow.length} pod run(s)` : 'no pod ran an attempt',
      target: '—',
      pass: null,
    },
    {
      id: 'as-d',
      name: `the same day on ${MAX_PODS} pods throughout: paid pod time / ideal`,
      value: `${(fixedPaid / fixedIdeal).toFixed(2)} (paid ${seconds(fixedPaid)}, ideal ${seconds(fixedIdeal)})`,
      target: '—',
      pass: null,
    },
    {
      id: 'as-e',
      name: 'jobs that ran on Replicate · jobs not succeeded (both days)',
      value: `${onReplicate} · ${notSucceeded} of ${allJobs.length}`,
      target: '0 · 0',
      pass: onReplicate === 0 && notSucceeded === 0,
    },
  ];
  const podRows = (label: string, day: DayRecord) =>
    day.pods.map((pod) => [
      label,
      pod.name,
      seconds(pod.billedFrom - day.start),
      pod.registeredAt === null ? 'never' : seconds(pod.registeredAt - pod.billedFrom),
      pod.drainAt === null ? '—' : seconds(pod.drainAt - day.start),
      pod.billedUntil === null ? 'still up' : seconds(pod.billedUntil - day.start),
      String(day.jobs.filter((job) => job.attempts.some((a) => a.workerId === pod.name)).length),
    ]);
  return {
    title: `Autoscale: a scripted day (${DAY.map((b) => `${b.jobs} jobs at ${b.atMs / 1000} s${b.spreadMs ? ` over ${b.spreadMs / 1000} s` : ''}`).join(', ')}), scaling 0-${MAX_PODS} pods and with ${MAX_PODS} pods throughout`,
    details: [
      {
        title: 'Pods (times from the start of the day; boot = billed → worker registered)',
        header: ['day', 'pod', 'created', 'boot', 'drain asked', 'billing ended', 'jobs run'],
        rows: [...podRows('scaling', scaled), ...podRows('fixed', fixed)],
        notes: [
          setup,
          `timeline (backlog, jobs running, pods booting / ready / draining): ${svgFile}`,
          `ideal: the busy spans (comfyui attempts, claim to end) give the pods needed at each moment (⌈running / jobsPerPod⌉); pod k covers the times k or more are needed, booted ${seconds(bootMs)} (the measured median boot) before each of its runs and kept through gaps no longer than a boot`,
          `the fixed fleet's paid time counts its ${MAX_PODS} pods from the start of its day (they were booted before it) to its last job's end`,
          `a reversed decision: one that adds capacity (create, start, undrain) less than ${WINDOW_SECONDS} s after one that removed some (drain, stop of a pod not needed), or the other way round${reversed.length ? `: ${reversed.map((r) => `${seconds(r.first.at - scaled.start)} → ${seconds(r.then.at - scaled.start)}`).join(', ')}` : ''}`,
          'first sampler step: the first write of the job\'s progress at the sampling stage (progress.updatedAt), at most a second after the step (progress is written once a second)',
        ],
      },
    ],
    figures,
  };
}
