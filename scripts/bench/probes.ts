import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { LOCAL_METRICS_TOKEN } from '../stack/stack';

/** What the bench reads from the ComfyUI simulator, the worker and the emulator log. */

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`GET ${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** Changes the simulator's simulated durations (sim-only control API). */
export async function setSimTiming(comfyuiUrl: string, patch: Record<string, number>): Promise<void> {
  const response = await fetch(`${comfyuiUrl}/sim/timing`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(patch) });
  if (!response.ok) throw new Error(`POST /sim/timing: ${response.status} ${await response.text()}`);
}

type GraphJson = Record<string, { class_type: string; inputs: Record<string, unknown> }>;

/** One prompt as the simulator's archive (`/sim/history`, which keeps what the worker deletes from `/history`) has it, with the times ComfyUI stamps on its messages. */
export interface PromptRecord {
  promptId: string;
  graph: GraphJson;
  executionStart: number;
  executionSuccess: number;
  samplerNodes: string[];
}

interface HistoryEntryJson {
  prompt: [number, string, GraphJson, unknown, unknown];
  status: { status_str: string; messages: Array<[string, { timestamp?: number }]> };
}

/**
 * The simulator's history entries of the given jobs, found by the job id the worker puts in the
 * output file prefix (`vidgen/{jobId}-a{n}`); missing or unfinished ones are left out.
 */
export async function promptsOfJobs(comfyuiUrl: string, jobIds: readonly string[]): Promise<Map<string, PromptRecord>> {
  const history = await getJson<Record<string, HistoryEntryJson>>(`${comfyuiUrl}/sim/history`);
  const found = new Map<string, PromptRecord>();
  for (const [promptId, entry] of Object.entries(history)) {
    const graph = entry.prompt[2];
    const text = JSON.stringify(graph);
    const jobId = jobIds.find((id) => text.includes(`vidgen/${id}-a`));
    if (!jobId) continue;
    const stamp = (type: string) => entry.status.messages.find(([name]) => name === type)?.[1].timestamp ?? Number.NaN;
    found.set(jobId, {
      promptId,
      graph,
      executionStart: stamp('execution_start'),
      executionSuccess: stamp('execution_success'),
      samplerNodes: Object.keys(graph).filter((id) => ['KSampler', 'KSamplerAdvanced', 'SamplerCustom'].includes(graph[id]?.class_type ?? '')),
    });
  }
  return found;
}

/** A WebSocket message the simulator sent, from the sim-only `GET /sim/events`. */
export interface SentEvent {
  sentAt: number;
  type: string;
  data: Record<string, unknown>;
}

export async function sentEvents(comfyuiUrl: string, promptId: string): Promise<SentEvent[]> {
  return (await getJson<{ events: SentEvent[] }>(`${comfyuiUrl}/sim/events?promptId=${encodeURIComponent(promptId)}`)).events;
}

/** The worker's Prometheus `/metrics`, with the bearer token the local stack gives its workers. */
function fetchMetrics(workerUrl: string): Promise<Response> {
  return fetch(`${workerUrl}/metrics`, { headers: { authorization: `Bearer ${LOCAL_METRICS_TOKEN}` }, signal: AbortSignal.timeout(10_000) });
}

/** The worker's write counters from its Prometheus `/metrics`. */
export async function workerCounters(workerUrl: string): Promise<{ jobWrites: number; progressWrites: number }> {
  const response = await fetchMetrics(workerUrl);
  const text = await response.text();
  const value = (name: string) => {
    const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
    if (!match) throw new Error(`${name} is not in ${workerUrl}/metrics`);
    return Number(match[1]);
  };
  return { jobWrites: value('vidgen_job_writes_total'), progressWrites: value('vidgen_progress_writes_total') };
}

/** Waits until the worker runs no attempt (leftovers of an earlier section would skew its counters). */
export async function waitWorkerIdle(workerUrl: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const text = await (await fetchMetrics(workerUrl)).text();
    if (/^vidgen_attempts_running 0$/m.test(text)) return true;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return false;
}

/** One line of the emulator log with the time the bench saw it appear. */
export interface LogLine {
  at: number;
  text: string;
}

/**
 * Follows a growing log file (the firebase-tools emulators' output), stamping each line on arrival.
 * The emulators print no times, so this gives when a function began, to about one poll interval.
 */
export class LogTail {
  readonly lines: LogLine[] = [];
  private offset: number;
  private partial = '';
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly file: string, pollMs = 10, private readonly keep = 50_000) {
    this.offset = statSync(file).size;
    this.timer = setInterval(() => this.poll(), pollMs);
    this.timer.unref();
  }

  private poll(): void {
    let fd: number | null = null;
    try {
      fd = openSync(this.file, 'r');
      const buffer = Buffer.alloc(256 * 1024);
      for (;;) {
        const read = readSync(fd, buffer, 0, buffer.length, this.offset);
        if (read <= 0) break;
        this.offset += read;
        const at = Date.now();
        const chunks = (this.partial + buffer.subarray(0, read).toString('utf8')).split('\n');
        this.partial = chunks.pop() ?? '';
        // eslint-disable-next-line no-control-regex
        for (const text of chunks) this.lines.push({ at, text: text.replace(/\u001b\[[0-9;]*m/g, '') });
      }
      if (this.lines.length > this.keep) this.lines.splice(0, this.lines.length - this.keep);
    } catch {
      // the file is rotated or gone while the stack stops: nothing to follow
    } finally {
      if (fd !== null) closeSync(fd);
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /**
   * The Tasks emulator hop of a job: from the callable's "Job created" line (printed right before the
   * enqueue) to the start of the `runAttempt` invocation that handed this job to a worker.
   */
  tasksHop(jobId: string): number {
    const created = this.lines.findIndex((l) => l.text.includes(`"jobId":"${jobId}"`) && l.text.includes('"Job created"'));
    // Only an offer the worker accepted put the hop on this job's path (409: its backlog pull was first).
    const took = this.lines.findIndex((l) => l.text.includes(`"jobId":"${jobId}"`) && l.text.includes('"Worker took the attempt"') && l.text.includes('"status":"accepted"'));
    if (created < 0 || took < 0) return Number.NaN;
    // The invocation may begin before the callable's log line arrives; never look past the call's own start.
    let callStart = created;
    while (callStart > 0 && !(this.lines[callStart] as LogLine).text.includes('Beginning execution of "us-central1-createVideoJob"')) callStart -= 1;
    for (let i = took; i >= callStart; i -= 1) {
      const line = this.lines[i] as LogLine;
      if (line.text.includes('Beginning execution of "us-central1-runAttempt"')) return line.at - (this.lines[created] as LogLine).at;
    }
    return Number.NaN;
  }
}
