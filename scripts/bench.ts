import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { deleteApp, initializeApp } from 'firebase-admin/app';
import { getFirestore } from 'firebase-admin/firestore';
import { startStack, type Stack } from './stack/stack';
import { BENCH_OPTIONS } from './bench/bench-stack';
import type { BenchContext, SectionResult } from './bench/context';
import { measureAutoscale } from './bench/autoscale';
import { measureBudgetsLoad } from './bench/budgets-load';
import { measureCallableLoad } from './bench/callable-load';
import { emulatorEnvOverrides } from './bench/config-check';
import { warmFunctions } from './bench/emulator-floor';
import { measureIdleGap } from './bench/idle-gap';
import { loadText, machineFacts, machineText } from './bench/machine';
import { measureMemory } from './bench/memory';
import { measureOverhead } from './bench/overhead';
import { LogTail } from './bench/probes';
import { BenchProgress } from './bench/progress';
import { measureProgressAndWrites } from './bench/progress-writes';
import { measureSoak } from './bench/soak';
import { combineRuns, markdownReport, sectionText, summaryText, type Detail, type Figure } from './bench/report';
import { ms } from './bench/stats';

/**
 * `npm run bench`: starts its own local stack (project demo-vidgen-bench, ports +40000, one worker),
 * measures orchestration overhead, GPU idle gaps, progress latency, writes per job, worker memory on
 * a big output, the callable under load, the budgets under load, a soak of 300 jobs (what the worker keeps
 * and leaves behind) and the GPU fleet's autoscaling over a scripted day (on the stack's RunPod
 * simulator; its timeline is drawn to .stack/bench/autoscale-timeline.svg), prints each figure beside its target, writes the
 * summary to .stack/bench/last-run.md and stops the stack (also on Ctrl-C). A missed target is
 * reported, not an error: the exit code is 0 unless the stack cannot start.
 *
 * The timed scenarios (1, 2, 6, 7) run `--runs` times (3 by default) and each of their figures is the
 * median of the runs with its spread, judged on the median; the report starts with the machine (cores,
 * load average) so that a reader can weigh the figures.
 */
const SECTIONS: Array<{ key: string; title: string; repeat: boolean; run: (ctx: BenchContext) => Promise<SectionResult> }> = [
  { key: '1', title: '1. Orchestration overhead', repeat: true, run: measureOverhead },
  { key: '2', title: '2. GPU idle gap', repeat: true, run: measureIdleGap },
  { key: '3', title: '3 + 4. Progress latency and writes per job', repeat: false, run: measureProgressAndWrites },
  { key: '5', title: '5. Worker memory on a 200 MB output', repeat: false, run: measureMemory },
  { key: '6', title: '6. Callable under load', repeat: true, run: measureCallableLoad },
  { key: '7', title: '7. Budgets under load', repeat: true, run: measureBudgetsLoad },
  { key: 'soak', title: 'Soak: 300 jobs through one worker', repeat: false, run: measureSoak },
  { key: 'autoscale', title: 'Autoscale: a scripted day on RunPod pods', repeat: false, run: measureAutoscale },
];

const USAGE = `Usage: npm run bench [-- --only 1,2,3,5,6,7,soak,autoscale] [-- --runs 3]
Starts its own stack (ports +40000), runs the sections (all by default; 3 covers figures 3 and 4;
soak runs 300 jobs through the worker and checks what they leave behind; autoscale runs a scripted
day on RunPod pods, scaling and then with a fixed fleet, and draws .stack/bench/autoscale-timeline.svg),
the timed ones (1, 2, 6, 7) --runs times each (default 3: median and spread), prints each figure beside
its target, and writes the summary to .stack/bench/last-run.md.`;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { only: { type: 'string' }, runs: { type: 'string', default: '3' }, help: { type: 'boolean', default: false } } });
  if (values.help) return void process.stdout.write(`${USAGE}\n`);
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs: a whole number of runs, 1 or more (got ${values.runs})`);
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
  // A rejection nothing handled would end the process at once, leaving the stack's processes running.
  process.on('unhandledRejection', (reason) => {
    progress.note(`\nThe bench failed: ${reason instanceof Error ? reason.message : String(reason)}; stopping.`);
    abort.abort(reason);
    void stop().then(() => process.exit(1));
  });

  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  const machine = machineFacts();
  progress.note(`vidgen bench (${command}): project ${BENCH_OPTIONS.projectId}, ports +40000, ${BENCH_OPTIONS.workers} worker, timed scenarios ${runs}× each`);
  progress.note(`Machine at start: ${machineText(machine)}${machine.load[0] > machine.cores / 2 ? ' — already busy: expect slower figures' : ''}`);
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
  const ctx: BenchContext = { state: stack.state, worker, admin: getFirestore(adminApp), adminApp, tail, progress, signal: abort.signal, stateDir: BENCH_OPTIONS.stateDir };
  const details: Detail[] = [];
  try {
    // The functions emulator starts a process per concurrent call (Cloud Run serves up to 80 per
    // instance): start them before anything is timed, and report what that costs.
    const warm = await warmFunctions(ctx);
    figures.push(...warm.figures);
    details.push(...warm.details.map((d) => ({ ...d, title: `${warm.title}: ${d.title}` })));
    progress.note(sectionText(warm.title, warm.figures, warm.details));
    for (const section of sections) {
      const times = section.repeat ? runs : 1;
      const perRun: Figure[][] = [];
      const failures: string[] = [];
      for (let run = 1; run <= times && !abort.signal.aborted; run += 1) {
        const started = Date.now();
        const label = times > 1 ? ` (run ${run} of ${times})` : '';
        try {
          const result = await section.run(ctx);
          perRun.push(result.figures);
          details.push(...result.details.map((d) => ({ ...d, title: `${result.title}${label}: ${d.title}` })));
          progress.note(`${sectionText(`${result.title}${label}`, result.figures, result.details)}  (${ms(Date.now() - started)})`);
        } catch (error) {
          if (abort.signal.aborted) break;
          const message = (error as Error).message;
          perRun.push([]);
          failures.push(`run ${run}: ${message}`);
          progress.note(`\n== ${section.title}${label}: not measured: ${message}`);
        }
      }
      if (abort.signal.aborted) break;
      const combined = perRun.some((f) => f.length > 0)
        ? combineRuns(perRun)
        : [{ id: section.key, name: section.title, value: 'not measured', target: '—', pass: false }];
      if (failures.length > 0) for (const figure of combined) figure.note = [figure.note, `not measured in ${failures.join('; ')}`].filter(Boolean).join('; ');
      figures.push(...combined);
      if (times > 1) progress.note(`\n== ${section.title}: ${times} runs, median (spread)\n${summaryText(combined)}`);
    }
  } finally {
    tail.stop();
    await deleteApp(adminApp).catch(() => undefined);
    await stop();
  }
  if (abort.signal.aborted) return;

  // The emulator reloads the functions, and stops every runtime process, when a file under
  // functions/ changes (a build, an editor): the figures after it paid process start-ups again.
  const reloads = tail.lines.filter((line) => line.text.includes('Loaded functions definitions from source')).length;
  if (reloads > 0) {
    figures.push({ id: '0r', name: 'functions emulator reloaded during the run (a file under functions/ changed)', value: `${reloads} time${reloads > 1 ? 's' : ''}: later figures include process start-ups; run again on a tree nobody is building`, target: 'none', pass: false });
  }
  const total = ms(Date.now() - began);
  progress.note(`\n== Summary (${total} in all)\n${summaryText(figures)}`);
  const missed = figures.filter((f) => f.pass === false).map((f) => f.id);
  progress.note(missed.length ? `\nMissed: ${missed.join(', ')}` : '\nEvery target met.');
  const end = machineFacts();
  progress.note(`Machine at the end: load average ${loadText(end.load)}`);
  const meta = [
    `command: \`${command}\``,
    `run ${new Date(began).toISOString()}, ${total}`,
    `machine at start: ${machineText(machine)}; load average at the end ${loadText(end.load)}`,
    `timed scenarios (1, 2, 6, 7): ${runs} runs each; a figure is the median of the runs, with the spread (min–max), judged on the median unless it says "every run"`,
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
