import { isVideoExpired, type Attempt, type AttemptRecord, type Job } from '@vidgen/client';
import { byId, say } from './dom';

const DASH = '–';

function formatEta(seconds: number | null): string {
  if (seconds === null) return DASH;
  const whole = Math.max(0, Math.ceil(seconds));
  return whole < 60 ? `${whole} s` : `${Math.floor(whole / 60)} min ${whole % 60} s`;
}

function formatBytes(bytes: number): string {
  return bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(0)} KiB` : `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** Attempt errors can be long (a CUDA message); the table shows the gist, the error box all of it. */
function firstSentence(message: string): string {
  const end = message.search(/\.\s/);
  return end > 0 ? message.slice(0, end + 1) : message;
}

function cell(row: HTMLTableRowElement, text: string, className?: string): void {
  const td = row.insertCell();
  td.textContent = text;
  if (className) td.className = className;
}

/** The job panel: state, progress bar and facts, attempts, and the video or the error. */
export class JobView {
  private readonly state = byId('job-state', HTMLSpanElement);
  private readonly jobId = byId('job-id', HTMLParagraphElement);
  private readonly bar = byId('progress', HTMLProgressElement);
  private readonly percent = byId('progress-percent', HTMLSpanElement);
  private readonly stage = byId('progress-stage', HTMLElement);
  private readonly step = byId('progress-step', HTMLElement);
  private readonly tier = byId('progress-tier', HTMLElement);
  private readonly eta = byId('progress-eta', HTMLElement);
  private readonly attempts = byId('attempts', HTMLTableSectionElement);
  private readonly error = byId('job-error', HTMLDivElement);
  private readonly result = byId('result', HTMLElement);
  private readonly video = byId('result-video', HTMLVideoElement);
  private readonly caption = byId('result-caption', HTMLElement);

  /** Clears the panel for a new job. */
  start(jobId: string): void {
    this.setState('queued');
    this.jobId.textContent = `jobs/${jobId}`;
    this.setProgress(0);
    for (const fact of [this.stage, this.step, this.tier, this.eta]) fact.textContent = DASH;
    this.renderAttempts([], null);
    say(this.error, null);
    this.result.hidden = true;
    this.video.removeAttribute('src');
    this.video.removeAttribute('poster');
    this.video.load();
  }

  render(job: Job): void {
    this.setState(job.state);
    const { progress } = job;
    this.setProgress(progress.percent);
    this.stage.textContent = progress.stage.replace(/_/g, ' ');
    this.step.textContent = progress.step !== null && progress.totalSteps !== null ? `${progress.step}/${progress.totalSteps}` : DASH;
    const current = job.attempt ?? job.attempts.at(-1) ?? null;
    this.tier.textContent = current ? `${current.tier} · ${current.backend}` : DASH;
    this.eta.textContent = job.state === 'running' || job.state === 'queued' ? formatEta(progress.etaSeconds) : DASH;
    this.renderAttempts(job.attempts, job.attempt);

    if (job.state === 'failed' && job.error) this.showError(job.error.code, job.error.message);
    else if (job.state === 'cancelled') this.showError('cancelled', 'The job was cancelled.');
    if (job.state === 'succeeded' && job.output && isVideoExpired(job)) {
      // Past its retention the lifecycle rule removes the video: say so rather than show a dead link.
      this.showError('expired', `The video was kept until ${job.output.expiresAt!.toLocaleString()} and has been removed.`);
    } else if (job.state === 'succeeded' && job.output) {
      const { output } = job;
      // Snapshots keep coming after success (e.g. cost updates); load the video once.
      if (this.video.getAttribute('src') !== output.downloadUrl) {
        this.video.poster = output.posterUrl;
        this.video.src = output.downloadUrl;
      }
      this.caption.textContent = `${output.width}×${output.height}, ${output.frameCount} frames at ${output.fps} fps, `
        + `${output.durationSeconds} s, ${formatBytes(output.sizeBytes)} · cost $${job.costUsd.toFixed(4)}`;
      this.result.hidden = false;
    }
  }

  showError(code: string, message: string): void {
    this.error.replaceChildren();
    const label = document.createElement('code');
    label.textContent = code;
    this.error.append(label, `: ${message}`);
    this.error.hidden = false;
  }

  private setState(state: string): void {
    this.state.textContent = state;
    this.state.dataset.state = state;
  }

  private setProgress(percent: number): void {
    this.bar.value = percent;
    this.bar.setAttribute('aria-valuetext', `${Math.floor(percent)} percent`);
    this.percent.textContent = `${Math.floor(percent)}%`;
  }

  private renderAttempts(records: AttemptRecord[], current: Attempt | null): void {
    this.attempts.replaceChildren();
    for (const record of records) {
      const row = this.attempts.insertRow();
      cell(row, String(record.index + 1));
      cell(row, record.tier);
      cell(row, record.workerId ? `${record.backend} (${record.workerId})` : record.backend);
      cell(row, record.outcome, `outcome-${record.outcome}`);
      cell(row, record.error ? `${record.error.code}: ${firstSentence(record.error.message)}` : DASH);
      if (record.error) row.cells[4]!.title = record.error.message;
    }
    if (current) {
      const row = this.attempts.insertRow();
      cell(row, String(current.index + 1));
      cell(row, current.tier);
      cell(row, current.workerId ? `${current.backend} (${current.workerId})` : current.backend);
      cell(row, current.state, `outcome-${current.state}`);
      cell(row, DASH);
    }
    if (!this.attempts.rows.length) {
      const row = this.attempts.insertRow();
      row.className = 'empty';
      const td = row.insertCell();
      td.colSpan = 5;
      td.textContent = 'None yet.';
    }
  }
}
