import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { deleteApp, initializeApp } from 'firebase-admin/app';
import { getFirestore } from 'firebase-admin/firestore';
import { startStack, type Stack } from './stack/stack';
import { BENCH_OPTIONS } from './bench/bench-stack';
import type { BenchContext, SectionResult } from './bench/context';
import { measureCallableLoad } from './bench/callable-load';
import { emulatorEnvOverrides } from './bench/config-check';
import { measureIdleGap } from './bench/idle-gap';
import { measureMemory } from './bench/memory';
import { measureOverhead } from './bench/overhead';
import { LogTail } from './bench/probes';
import { BenchProgress } from './bench/progress';
import { measureProgressAndWrites } from './bench/progress-writes';
import { markdownReport, sectionText, summaryText, type Detail, type Figure } from './bench/report';
import { ms } from './bench/stats';

/**
 * `npm run bench`: starts its own local stack (project demo-vidgen-bench, ports +40000, one worker),
 * measures orchestration overhead, GPU idle gaps, progress latency, writes per job, worker memory on
 * a big output and the callable under load, prints each figure beside its target, writes the
 * summary to .stack/bench/last-run.md and stops the stack (also on Ctrl-C). A missed target is
 * reported, not an error: the exit code is 0 unless the stack cannot start.
 */
const SECTIONS: Array<{ key: string; title: string; run: (ctx: BenchContext) => Promise<SectionResult> }> = [
  { key: '1', title: '1. Orchestration overhead', run: measureOverhead },
  { key: '2', title: '2. GPU idle gap', run: measureIdleGap },
  { key: '3', title: '3 + 4. Progress latency and writes per job', run: measureProgressAndWrites },
  { key: '5', title: '5. Worker memory on a 200 MB output', run: measureMemory },
  { key: '6', title: '6. Callable under load', run: measureCallableLoad },
];

const USAGE = `Usage: npm run bench [-- --only 1,2,3,5,6]
Starts its own stack (ports +40000), runs the sections (all by default; 3 covers figures 3 and 4),
prints each figure beside its target, and writes the summary to .stack/bench/last-run.md.`;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { only: { type: 'string' }, help: { type: 'boolean', default: false } } });
  if (values.help) return void process.stdout.write(`${USAGE}\n`);
  const only = values.only?.split(',').map((key) => (key.trim() === '4' ? '3' : key.trim()));
  const sections = SECTIONS.filter((section) => !only || only.includes(section.key));
  if (sections.length === 0) throw new Error(`--only: no section ${values.only}; choose from ${SECTIONS.map((s) => s.key).join(', ')}`);
  const progress = new BenchProgress();
  const abort = new AbortController();
  const began = Date.now();
  let starting: Promise<Stack> | null = null;
  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      progress.note('Stopping the bench stack…');
      const stack = await starting?.catch(() => null);
      await stack?.stop();
    })();
    return stopping;
  };
  process.on('SIGINT', () => {
    progress.note('\nInterrupted: stopping.');
    abort.abort(new Error('interrupted'));
    void stop().then(() => process.exit(130));
  });
  process.on('SIGTERM', () => {
    abort.abort(new Error('terminated'));
    void stop().then(() => process.exit(143));
  });

  progress.note(`vidgen bench: project ${BENCH_OPTIONS.projectId}, ports +40000, ${BENCH_OPTIONS.workers} worker, ${cpus().length} CPU cores (other stacks may share them: expect noise)`);
  const overrides = emulatorEnvOverrides();
  const figures: Figure[] = [];
  if (overrides.length > 0) {
    progress.note(`WARNING: functions/.env.local overrides the bench's function settings in the emulator: ${overrides.join('; ')}`);
    figures.push({ id: '0', name: 'bench settings in effect in the functions emulator', value: `overridden by functions/.env.local: ${overrides.join('; ')}`, target: 'none overridden', pass: false });
  }
  starting = startStack(BENCH_OPTIONS, (message) => progress.note(`… ${message}`));
  const stack = await starting;
  const worker = stack.state.workers[0];
  if (!worker) throw new Error('the bench stack started no worker');
  progress.note(`Stack up in ${ms(Date.now() - began)}. Logs: ${join(BENCH_OPTIONS.stateDir, 'logs')}`);

  const adminApp = initializeApp({ projectId: stack.state.projectId }, 'bench-admin');
  const tail = new LogTail(join(BENCH_OPTIONS.stateDir, 'logs', 'firebase.log'));
  const ctx: BenchContext = { state: stack.state, worker, admin: getFirestore(adminApp), tail, progress, signal: abort.signal, stateDir: BENCH_OPTIONS.stateDir };
  const details: Detail[] = [];
  try {
    for (const section of sections) {
      if (abort.signal.aborted) break;
      const started = Date.now();
      try {
        const result = await section.run(ctx);
        figures.push(...result.figures);
        details.push(...result.details.map((d) => ({ ...d, title: `${result.title}: ${d.title}` })));
        progress.note(`${sectionText(result.title, result.figures, result.details)}  (${ms(Date.now() - started)})`);
      } catch (error) {
        if (abort.signal.aborted) break;
        const message = (error as Error).message;
        figures.push({ id: section.title.split('.')[0] ?? '?', name: section.title, value: `not measured: ${message}`, target: '—', pass: false });
        progress.note(`\n== ${section.title}: not measured: ${message}`);
      }
    }
  } finally {
    tail.stop();
    await deleteApp(adminApp).catch(() => undefined);
    await stop();
  }
  if (abort.signal.aborted) return;

  const total = ms(Date.now() - began);
  progress.note(`\n== Summary (${total} in all)\n${summaryText(figures)}`);
  const missed = figures.filter((f) => f.pass === false).map((f) => f.id);
  progress.note(missed.length ? `\nMissed: ${missed.join(', ')}` : '\nEvery target met.');
  const meta = [
    `run ${new Date(began).toISOString()}, ${total}`,
    `${cpus().length} CPU cores; other stacks may have run at the same time`,
    `stack: ${BENCH_OPTIONS.projectId}, ports +40000, 1 worker (MAX_CONCURRENT_JOBS 2), backend policy ${BENCH_OPTIONS.backendPolicy ?? 'prefer-comfyui'}${overrides.length ? ` (overridden: ${overrides.join('; ')})` : ''}`,
  ];
  mkdirSync(BENCH_OPTIONS.stateDir, { recursive: true });
  const file = join(BENCH_OPTIONS.stateDir, 'last-run.md');
  writeFileSync(file, markdownReport(meta, figures, details));
  progress.note(`Written to ${file}`);
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    process.stderr.write(`The benchmark could not run: ${error.message}\n`);
    process.exit(1);
  },
);
