import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_OPTIONS } from './bench-stack';
import { sleep, type BenchContext, type SectionResult } from './context';
import { setSimTiming, waitWorkerIdle } from './probes';
import { LOCAL_METRICS_TOKEN } from '../stack/stack';
import { mb, ms } from './stats';
import { callableCode, isTerminal, signedInUser, watchDoc, type BenchUser } from './web-client';

const JOBS = 300;
/**
 * Jobs run before the first measurement: the worker's first jobs open its connections and compile
 * its code paths, and under load V8 grows its heap up to the worker's old-space limit (on the bench
 * machine RSS rose about 50 MB over the first 100 jobs). The heap in use after a major collection is
 * what shows a leak, and the rows sample it.
 */
const WARM_UP_JOBS = 100;
const USERS = 3;
/** Jobs each user keeps in flight (the bench stack allows 5 active jobs a user): 9 in all, for 2 worker slots. */
const LANES_PER_USER = 3;
const RSS_TARGET_BYTES = 20e6;
const SAMPLE_EVERY_JOBS = 25;
/** Short simulated GPU work, so that 300 jobs take minutes: what is soaked is everything around it. */
const SOAK_TIMING = { stepMs: 5, decodeMs: 20, frameMs: 2, modelLoadMs: 20 };
/** The bench stack's own simulator timing, put back afterwards. */
const BENCH_TIMING = { stepMs: BENCH_OPTIONS.timing?.simStepMs ?? 50, decodeMs: 200, frameMs: 10, modelLoadMs: 300 };
const FOLDERS = ['output', 'input', 'temp'] as const;

interface ProcessSample {
  rss: number;
  fds: number;
}

/** The worker's resident memory and open descriptors, from Linux's /proc. */
function processSample(pid: number): ProcessSample {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1]);
  if (!Number.isFinite(kb)) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return { rss: kb * 1024, fds: readdirSync(`/proc/${pid}/fd`).length };
}

/** TCP sockets of the process's network namespace by inode: the remote port (0 for a listener) and the local one. */
function tcpSockets(pid: number): Map<string, { remotePort: number; localPort: number }> {
  const sockets = new Map<string, { remotePort: number; localPort: number }>();
  for (const table of ['tcp', 'tcp6']) {
    const text = existsSync(`/proc/${pid}/net/${table}`) ? readFileSync(`/proc/${pid}/net/${table}`, 'utf8') : '';
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const [local, remote, inode] = [fields[1], fields[2], fields[9]];
      if (!local || !remote || !inode) continue;
      sockets.set(inode, { localPort: parseInt(local.split(':')[1] ?? '0', 16), remotePort: parseInt(remote.split(':')[1] ?? '0', 16) });
    }
  }
  return sockets;
}

/**
 * What the worker's descriptors are, counted by kind: TCP sockets by the stack component at their
 * far end (from the stack's ports), listeners, other sockets, pipes, event descriptors, files.
 */
function descriptorKinds(pid: number, ports: Record<string, number>): Map<string, number> {
  const byPort = new Map(Object.entries(ports).map(([name, port]) => [port, name]));
  const sockets = tcpSockets(pid);
  const kinds = new Map<string, number>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue;
    }
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    let kind: string;
    if (inode) {
      const tcp = sockets.get(inode);
      if (!tcp) kind = 'socket (not TCP)';
      else if (tcp.remotePort === 0) kind = `TCP listener :${tcp.localPort}`;
      else if (byPort.has(tcp.localPort)) kind = `TCP from a client to ${byPort.get(tcp.localPort)} :${tcp.localPort}`;
      else kind = `TCP to ${byPort.get(tcp.remotePort) ?? `port ${tcp.remotePort}`}`;
    } else if (target.startsWith('pipe:')) kind = 'pipe';
    else if (target.startsWith('anon_inode:')) kind = target.replace(/^anon_inode:\[?([^\]]*)\]?$/, 'anon $1');
    else kind = `file ${target.replace(/\/[^/]*$/, '/…')}`;
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  }
  return kinds;
}

/**
 * Where the worker's memory is, from its Prometheus metrics (prom-client's default metrics, which
 * read `process.memoryUsage()`): V8's heap in use and committed, and the external memory V8 is told
 * of (Buffers, ArrayBuffers, what native modules report). The rest of RSS is neither: code, stacks,
 * and native allocations V8 does not count, with what the C allocator keeps after they are freed.
 */
interface WorkerMemory {
  heapUsed: number;
  heapTotal: number;
  external: number;
}

async function workerMemory(workerUrl: string, token: string): Promise<WorkerMemory> {
  const response = await fetch(`${workerUrl}/metrics`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) });
  const text = await response.text();
  const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  return { heapUsed: value('nodejs_heap_size_used_bytes'), heapTotal: value('nodejs_heap_size_total_bytes'), external: value('nodejs_external_memory_bytes') };
}

/** RSS that is neither V8's committed heap nor external memory. */
function restOf(rss: number, memory: WorkerMemory): number {
  return rss - memory.heapTotal - memory.external;
}

/** A row of the samples table: RSS, fds, then the memory split. */
function memoryRow(label: string, sample: ProcessSample, memory: WorkerMemory, elapsed: number): string[] {
  return [label, mb(sample.rss), String(sample.fds), mb(memory.heapUsed), mb(memory.heapTotal), mb(memory.external), mb(restOf(sample.rss, memory)), ms(elapsed)];
}

interface RestingSample extends ProcessSample {
  kinds: Map<string, number>;
  memory: WorkerMemory;
}

/**
 * The worker at rest, over 20 s: the least RSS, the fewest descriptors, and the least of each memory
 * figure seen. A keep-alive socket closes some seconds after its last request, and V8 may collect
 * and shrink its heap some seconds after allocation stops, so one sample taken at once overstates
 * them; the same window is taken at the start and at the end.
 */
async function restingSample(pid: number, ports: Record<string, number>, workerUrl: string, token: string): Promise<RestingSample> {
  let rss = Number.POSITIVE_INFINITY;
  let fds = Number.POSITIVE_INFINITY;
  let kinds = new Map<string, number>();
  const memory: WorkerMemory = { heapUsed: Number.POSITIVE_INFINITY, heapTotal: Number.POSITIVE_INFINITY, external: Number.POSITIVE_INFINITY };
  for (let i = 0; i < 10; i += 1) {
    await sleep(2000);
    const now = processSample(pid);
    rss = Math.min(rss, now.rss);
    if (now.fds < fds) {
      fds = now.fds;
      kinds = descriptorKinds(pid, ports);
    }
    const reported = await workerMemory(workerUrl, token);
    for (const key of ['heapUsed', 'heapTotal', 'external'] as const) memory[key] = Math.min(memory[key], reported[key]);
  }
  return { rss, fds, kinds, memory };
}

/** The start and end at rest, RSS split into what V8 holds, external memory and the rest. */
function memorySplit(start: RestingSample, end: RestingSample): string[][] {
  const row = (part: string, of: (sample: RestingSample) => number) => [part, mb(of(start)), mb(of(end)), mb(of(end) - of(start))];
  return [
    row('RSS', (sample) => sample.rss),
    row('V8 heap in use', (sample) => sample.memory.heapUsed),
    row('V8 heap committed', (sample) => sample.memory.heapTotal),
    row('external (Buffers, ArrayBuffers)', (sample) => sample.memory.external),
    row('rest of RSS', (sample) => restOf(sample.rss, sample.memory)),
  ];
}

/** Every file under a folder (recursively), by path; an absent folder holds none. */
function filesUnder(root: string): Set<string> {
  if (!existsSync(root)) return new Set();
  return new Set(readdirSync(root, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name)));
}

/** One AnimateDiff job of 1 s (8 frames, the least the tier makes), followed to its end. */
async function oneJob(user: BenchUser, label: string): Promise<string> {
  const idempotencyKey = `soak-${randomUUID()}`;
  let jobId = '';
  for (let attempt = 1; !jobId; attempt += 1) {
    try {
      jobId = (await user.createVideoJob({ prompt: `vidgen bench soak ${label}`, model: 'animatediff', durationSeconds: 1, idempotencyKey })).jobId;
    } catch (error) {
      if (attempt >= 4 || !['internal', 'aborted', 'unavailable', 'deadline-exceeded'].includes(callableCode(error))) throw error;
      await sleep(250 * attempt);
    }
  }
  const watch = watchDoc(user.db, 'jobs', jobId);
  try {
    return String((await watch.until(isTerminal, 120_000)).data.state);
  } finally {
    watch.stop();
  }
}

/**
 * Runs `count` jobs through the users' lanes, each lane one job after the other; `onEnd` sees each
 * end with the number of jobs ended so far.
 */
async function runJobs(users: BenchUser[], count: number, prefix: string, signal: AbortSignal, onEnd: (state: string, ended: number) => Promise<void>): Promise<Map<string, number>> {
  const states = new Map<string, number>();
  let next = 0;
  let ended = 0;
  const lane = async (user: BenchUser) => {
    while (next < count && !signal.aborted) {
      const index = next;
      next += 1;
      const state = await oneJob(user, `${prefix}${index}`).catch((error: Error) => `error: ${error.message.slice(0, 80)}`);
      states.set(state, (states.get(state) ?? 0) + 1);
      ended += 1;
      await onEnd(state, ended);
    }
  };
  await Promise.all(users.flatMap((user) => Array.from({ length: LANES_PER_USER }, () => lane(user))));
  return states;
}

/**
 * The soak: 300 short jobs through the one worker, and what they left behind. The worker's RSS and
 * open descriptors (from /proc, at rest) and the files in the ComfyUI simulator's output, input and
 * temp folders and the worker's WORK_DIR are taken after a warm-up and again at the end; a pod that
 * runs for months must show neither growth nor leftovers.
 */
export async function measureSoak(ctx: BenchContext): Promise<SectionResult> {
  if (!existsSync('/proc/self/status')) throw new Error('the soak reads the worker from /proc: Linux only');
  const pid = ctx.worker.pid;
  if (!pid || !readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('gpu-worker')) throw new Error(`pid ${pid} is not the bench worker`);
  const simState = (await (await fetch(`${ctx.worker.comfyuiUrl}/sim/state`)).json()) as { dataDir: string };
  const workDir = join(ctx.stateDir, 'work-1');
  const folders: Array<[string, string]> = [...FOLDERS.map((folder): [string, string] => [`ComfyUI ${folder}/`, join(simState.dataDir, folder)]), ['worker WORK_DIR', workDir]];
  const token = LOCAL_METRICS_TOKEN;

  await setSimTiming(ctx.worker.comfyuiUrl, SOAK_TIMING);
  const users = await Promise.all(Array.from({ length: USERS }, () => signedInUser(ctx.state)));
  const warmUp: string[][] = [];
  const samples: string[][] = [];
  const began = Date.now();
  let states = new Map<string, number>();
  let start: RestingSample;
  let end: RestingSample;
  let peakRss = 0;
  let filesBefore: Array<Set<string>>;
  let filesAfter: Array<Set<string>>;
  try {
    const warm = ctx.progress.step(`soak: ${WARM_UP_JOBS} warm-up jobs`, WARM_UP_JOBS);
    const warmStart = Date.now();
    try {
      await runJobs(users, WARM_UP_JOBS, 'warm-up ', ctx.signal, async (_state, ended) => {
        warm.tick();
        if (ended === 1 || ended % SAMPLE_EVERY_JOBS === 0) warmUp.push(memoryRow(`warm-up ${ended}`, processSample(pid), await workerMemory(ctx.worker.url, token), Date.now() - warmStart));
      });
    } finally {
      warm.done();
    }
    if (!(await waitWorkerIdle(ctx.worker.url, 60_000))) throw new Error('the worker did not go idle after the warm-up');
    start = await restingSample(pid, ctx.state.ports, ctx.worker.url, token);
    filesBefore = folders.map(([, root]) => filesUnder(root));
    samples.push(memoryRow('0 (at rest)', start, start.memory, 0));

    const step = ctx.progress.step(`soak: ${JOBS} jobs, 1 worker`, JOBS);
    const soakStart = Date.now();
    try {
      states = await runJobs(users, JOBS, '', ctx.signal, async (state, ended) => {
        step.tick(state);
        if (ctx.worker.pid !== pid) throw new Error(`the worker restarted during the soak (pid ${pid} → ${ctx.worker.pid})`);
        const now = processSample(pid);
        peakRss = Math.max(peakRss, now.rss);
        if (ended % SAMPLE_EVERY_JOBS === 0 && ended < JOBS) samples.push(memoryRow(String(ended), now, await workerMemory(ctx.worker.url, token), Date.now() - soakStart));
      });
    } finally {
      step.done();
    }
    if (!(await waitWorkerIdle(ctx.worker.url, 60_000))) throw new Error('the worker did not go idle after the soak');
    end = await restingSample(pid, ctx.state.ports, ctx.worker.url, token);
    filesAfter = folders.map(([, root]) => filesUnder(root));
    samples.push(memoryRow(`${JOBS} (at rest)`, end, end.memory, Date.now() - soakStart));
  } finally {
    await Promise.all(users.map((user) => user.close()));
    await setSimTiming(ctx.worker.comfyuiUrl, BENCH_TIMING).catch(() => undefined);
  }

  const succeeded = states.get('succeeded') ?? 0;
  const others = [...states].filter(([state]) => state !== 'succeeded');
  const rssGrowth = end.rss - start.rss;
  const fdGrowth = end.fds - start.fds;
  const left = folders.map(([name], i) => ({ name, files: [...(filesAfter[i] ?? [])].filter((file) => !filesBefore[i]?.has(file)) }));
  const leftCount = left.reduce((total, folder) => total + folder.files.length, 0);
  return {
    title: `Soak: ${JOBS} jobs through one worker (AnimateDiff 1 s, sim stepMs ${SOAK_TIMING.stepMs}, ${USERS} users × ${LANES_PER_USER} in flight)`,
    details: [
      {
        title: `Worker process (pid ${pid}) as the jobs ended`,
        header: ['jobs ended', 'RSS', 'open fds', 'V8 heap used', 'V8 heap committed', 'external', 'rest of RSS', 'elapsed'],
        rows: [...warmUp, ...samples],
        notes: [
          `start and end (rows 0 and ${JOBS}) measured after ${WARM_UP_JOBS} warm-up jobs, with the worker at rest (no attempt running): the least of each figure over 20 s (keep-alive sockets close, and V8 may collect and shrink its heap, some seconds after the work stops); the other rows are single samples as jobs ended`,
          'the warm-up rows show V8 growing its heap to its steady size under this load; the heap in use is sampled, not measured after a collection, so it rises and falls with the collector (its least values are what survives one)',
          `jobs: ${succeeded} of ${JOBS} succeeded${others.length ? `; others: ${others.map(([state, n]) => `${state} ${n}`).join(', ')}` : ''}; ${ms(Date.now() - began)} with the warm-up`,
          `peak RSS during the soak ${mb(peakRss)}; RSS from /proc; the V8 heap (in use, committed) and external memory (Buffers, ArrayBuffers) are process.memoryUsage() as prom-client's default metrics give it on the worker's /metrics; the rest of RSS is RSS less the committed heap and external memory: code, stacks, native allocations V8 does not count and what the C allocator keeps`,
        ],
      },
      {
        title: 'The worker\'s memory at rest, start → end',
        header: ['part', 'start', 'end', 'growth'],
        rows: memorySplit(start, end),
        notes: ['the RSS growth is the sum of the committed heap\'s, the external memory\'s and the rest\'s (each the least over the window, so the parts may not add up exactly); the heap in use at rest is what survives a major collection only if one ran in the window: the least values during the soak say as much'],
      },
      {
        title: 'The worker\'s open descriptors at rest, by kind',
        header: ['kind', 'start', 'end'],
        rows: [...new Set([...start.kinds.keys(), ...end.kinds.keys()])].sort().map((kind) => [kind, String(start.kinds.get(kind) ?? 0), String(end.kinds.get(kind) ?? 0)]),
      },
      {
        title: 'Files the jobs left (new since the warm-up)',
        header: ['folder', 'files left', 'example'],
        rows: left.map((folder) => [folder.name, String(folder.files.length), folder.files[0] ?? '']),
      },
    ],
    figures: [
      { id: 'soak-jobs', name: `soak jobs that succeeded`, value: `${succeeded} / ${JOBS}`, target: `${JOBS} / ${JOBS}`, pass: succeeded === JOBS },
      {
        id: 'soak-rss',
        name: 'worker RSS growth over the soak (at rest, start → end)',
        value: `${mb(rssGrowth)} (${mb(start.rss)} → ${mb(end.rss)})`,
        target: `≤ ${mb(RSS_TARGET_BYTES)}`,
        pass: rssGrowth <= RSS_TARGET_BYTES,
        ...(rssGrowth > RSS_TARGET_BYTES ? { note: `of which V8's committed heap ${mb(end.memory.heapTotal - start.memory.heapTotal)}, external memory ${mb(end.memory.external - start.memory.external)}, the rest ${mb(restOf(end.rss, end.memory) - restOf(start.rss, start.memory))}; a committed heap that grows while the heap in use at rest does not is V8 sizing its heap for the load (see the worker's --max-old-space-size), not objects kept` } : {}),
      },
      { id: 'soak-fds', name: 'worker open file descriptors growth (at rest, start → end)', value: `${fdGrowth} (${start.fds} → ${end.fds})`, target: '0', pass: fdGrowth <= 0 },
      { id: 'soak-files', name: 'files left in ComfyUI output/input/temp and WORK_DIR', value: String(leftCount), target: '0', pass: leftCount === 0 },
    ],
  };
}
