import type { AttemptRecord, Job, Output } from '@vidgen/client';

/** 75 → "1m15s", 9 → "9s". */
export function formatSeconds(seconds: number): string {
  const whole = Math.max(0, Math.round(seconds));
  if (whole < 60) return `${whole}s`;
  const minutes = Math.floor(whole / 60);
  return `${minutes}m${String(whole % 60).padStart(2, '0')}s`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

export function formatUsd(usd: number): string {
  return `$${usd.toFixed(4)}`;
}

/** What a progress display shows of a job snapshot. */
export interface ProgressFields {
  percent: number;
  /** "sampling", "loading models", ... */
  stage: string;
  /** "8/20", or "" when the stage has no steps. */
  steps: string;
  /** "animatediff on comfyui" (the attempt in flight, else the last one), or "" before any. */
  where: string;
  /** "12s", or "?" when unknown. */
  eta: string;
}

export function progressFields(job: Job): ProgressFields {
  const { progress } = job;
  // Once the job is finished there is no attempt in flight: show the one that ended it.
  const attempt = job.attempt ?? job.attempts.at(-1);
  return {
    percent: progress.percent,
    stage: job.state === 'queued' ? 'queued' : progress.stage.replace(/_/g, ' '),
    steps: progress.step !== null && progress.totalSteps !== null ? `${progress.step}/${progress.totalSteps}` : '',
    where: attempt ? `${attempt.tier} on ${attempt.backend}` : '',
    eta: progress.etaSeconds !== null ? formatSeconds(progress.etaSeconds) : '?',
  };
}

/** One line for the plain (non-terminal) output: "[ 42%] sampling 8/20 · animatediff on comfyui · ETA 12s". */
export function progressLine(fields: ProgressFields): string {
  const stage = [fields.stage, fields.steps].filter(Boolean).join(' ');
  return [`[${String(Math.floor(fields.percent)).padStart(3)}%] ${stage}`, fields.where, `ETA ${fields.eta}`].filter(Boolean).join(' · ');
}

/** "Attempt 1: animatediff on comfyui (local-worker-1) succeeded in 3.2 s, $0.0004" and, when it failed, its error. */
export function attemptLine(record: AttemptRecord): string {
  const worker = record.workerId ? ` (${record.workerId})` : '';
  const took = record.startedAt ? ` in ${((record.endedAt.getTime() - record.startedAt.getTime()) / 1000).toFixed(1)} s` : '';
  const error = record.error ? `: ${record.error.code}: ${record.error.message}` : '';
  return `Attempt ${record.index + 1}: ${record.tier} on ${record.backend}${worker} ${record.outcome}${took}, ${formatUsd(record.costUsd)}${error}`;
}

/** The lines printed once the video is saved. */
export function summaryLines(path: string, sizeBytes: number, output: Output, costUsd: number): string[] {
  return [
    `Saved ${path}`,
    `  ${formatBytes(sizeBytes)}, ${output.width}x${output.height}, ${output.durationSeconds} s (${output.frameCount} frames at ${output.fps} fps)`,
    `  Cost: ${formatUsd(costUsd)}`,
  ];
}
