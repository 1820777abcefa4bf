/** The autoscaling figures, computed from what the bench recorded of a scripted day (times in ms). */

export interface Span {
  start: number;
  end: number;
}

/** How many spans cover each moment: the times the count changes, with the count from each on. */
export function coverage(spans: readonly Span[]): Array<{ at: number; count: number }> {
  const deltas = new Map<number, number>();
  for (const span of spans) {
    if (!(span.end > span.start)) continue;
    deltas.set(span.start, (deltas.get(span.start) ?? 0) + 1);
    deltas.set(span.end, (deltas.get(span.end) ?? 0) - 1);
  }
  let count = 0;
  return [...deltas.entries()]
    .sort(([a], [b]) => a - b)
    .map(([at, delta]) => {
      count += delta;
      return { at, count };
    });
}

/** The stretches in which at least `level` of the spans overlap. */
function atLeast(steps: ReadonlyArray<{ at: number; count: number }>, level: number): Span[] {
  const stretches: Span[] = [];
  let openedAt: number | null = null;
  for (const { at, count } of steps) {
    if (count >= level && openedAt === null) openedAt = at;
    else if (count < level && openedAt !== null) {
      stretches.push({ start: openedAt, end: at });
      openedAt = null;
    }
  }
  return stretches;
}

/**
 * The pod time a fleet that knew the day in advance would pay: the GPU is busy (attempts running on
 * our workers) for the spans given; at each moment ⌈busy attempts / jobsPerPod⌉ pods must be ready.
 * Pod k covers the times at least k pods are needed; it is booted `bootMs` before each of its runs
 * and paid from then, and kept through a gap no longer than a boot (idling through it costs no more
 * than stopping and booting again). So: busy GPU time per pod, rounded up by one boot per run.
 */
export function idealPodMs(busy: readonly Span[], bootMs: number, jobsPerPod: number): number {
  const steps = coverage(busy).map(({ at, count }) => ({ at, count: Math.ceil(count / jobsPerPod) }));
  const most = Math.max(0, ...steps.map((s) => s.count));
  let total = 0;
  for (let level = 1; level <= most; level += 1) {
    const runs: Span[] = [];
    for (const stretch of atLeast(steps, level)) {
      const last = runs.at(-1);
      if (last && stretch.start - last.end <= bootMs) last.end = stretch.end;
      else runs.push({ ...stretch });
    }
    for (const run of runs) total += run.end - run.start + bootMs;
  }
  return total;
}

/** Paid pod time: the billed spans summed, one still open counted up to `now`. */
export function paidPodMs(billed: ReadonlyArray<{ start: number; end: number | null }>, now: number): number {
  return billed.reduce((total, span) => total + Math.max(0, (span.end ?? now) - span.start), 0);
}

/** One decision of the fleet controller as `fleet/state.lastDecision` records it. */
export interface RecordedDecision {
  at: number;
  actions: ReadonlyArray<{ action: string; ok: boolean; detail?: string }>;
}

/**
 * Which way a decision moved the fleet: +1 it added serving capacity (created or started a pod,
 * undrained one), -1 it took some away (asked a pod to drain, stopped one still booting as not
 * needed), 0 neither. A replacement (terminate a pod that never registered and create another) and
 * the stop of a pod already drained carry out earlier decisions and count as neither.
 */
export function direction(decision: RecordedDecision): -1 | 0 | 1 {
  let net = 0;
  for (const { action, ok, detail } of decision.actions) {
    if (!ok) continue;
    const kind = action.split(' ')[0];
    if (kind === 'create' || kind === 'start' || kind === 'undrain') net += 1;
    // A replacement's create in the same decision stands in for the pod it terminates.
    else if (kind === 'replace' || kind === 'drain') net -= 1;
    else if ((kind === 'stop' || kind === 'terminate') && detail?.startsWith('not needed')) net -= 1;
  }
  return net > 0 ? 1 : net < 0 ? -1 : 0;
}

/**
 * Decisions that undid one made less than `windowMs` before them: a scale-down after a scale-up, or
 * a scale-up (an undrain included) after a scale-down. Each reversing decision is counted once.
 */
export function reversedDecisions(decisions: readonly RecordedDecision[], windowMs: number): Array<{ first: RecordedDecision; then: RecordedDecision }> {
  const moves = decisions.map((decision) => ({ decision, way: direction(decision) })).filter((m) => m.way !== 0);
  moves.sort((a, b) => a.decision.at - b.decision.at);
  const reversed: Array<{ first: RecordedDecision; then: RecordedDecision }> = [];
  moves.forEach((later, i) => {
    const undone = moves.slice(0, i).find((earlier) => earlier.way === -later.way && later.decision.at - earlier.decision.at < windowMs);
    if (undone) reversed.push({ first: undone.decision, then: later.decision });
  });
  return reversed;
}

/** A job of the day as the bench saw it. */
export interface SeenJob {
  createdAt: number;
  /** `progress.updatedAt` of the first write the job got at the sampling stage; null if none was seen. */
  firstSamplingAt: number | null;
}

/** Each job's wait from its creation to its first sampler step, and how many jobs never showed one. */
export function waitsToFirstStep(jobs: readonly SeenJob[]): { waits: number[]; missing: number } {
  const waits = jobs.flatMap((job) => (job.firstSamplingAt === null ? [] : [job.firstSamplingAt - job.createdAt]));
  return { waits, missing: jobs.length - waits.length };
}
