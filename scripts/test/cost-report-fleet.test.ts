import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { COLLECTIONS, FLEET_STATE_DOCUMENT, type Job } from '@vidgen/contract';
import { RunpodClient } from '@vidgen/runpod';
import { createRunpodSimulator, type RunpodSimulator } from '../../provider-sims/src/simulators';
import { UNIT_FIRESTORE_ENV, unitFirestore, type UnitFirestore } from '../../test/support/unit-firestore';
import { attemptJob } from './support/cost-jobs';
import { runCommand } from './support/run-command';

jest.setTimeout(30_000);

const ROOT = join(__dirname, '..', '..');
const API_KEY = 'rpa_cost_report_test';
const RTX_4090 = 'NVIDIA GeForce RTX 4090';
/** A dollar a second, so that pods billed for a fraction of a second show in four decimals. */
const USD_PER_HOUR = 3600;

/**
 * `npm run cost-report` with a RunPod key: the real script reads the account's billing from the
 * RunPod simulator through our client and the jobs from the Firestore emulator, and its figures
 * are checked against the spans the simulator billed.
 */
describe('npm run cost-report: fleet spend', () => {
  let firestore: UnitFirestore;
  let sim: RunpodSimulator;

  beforeEach(async () => {
    firestore = unitFirestore('cost-report');
    sim = await createRunpodSimulator({ apiKey: API_KEY, provisionMs: 0, bootMs: 0, logLevel: 'silent', gpuTypes: { [RTX_4090]: { hourlyRate: USD_PER_HOUR } } });
  });
  afterEach(async () => {
    await sim.close();
    await firestore.close();
  });

  /** The real script on the unit emulator, in this test's project, with `env` for RunPod. */
  const costReport = (args: string[], env: Record<string, string>) =>
    runCommand(join(ROOT, 'node_modules', '.bin', 'tsx'), [join(ROOT, 'scripts', 'cost-report.ts'), ...args, '--project', firestore.app.options.projectId!], {
      PATH: process.env.PATH ?? '/usr/bin:/bin', FIRESTORE_EMULATOR_HOST: process.env[UNIT_FIRESTORE_ENV]!, ...env,
    });

  it('prints paid pod spend and hours, busy GPU time, utilisation and the Replicate comparison', async () => {
    const runpod = new RunpodClient({ apiKey: API_KEY, baseUrl: sim.url });
    const create = (name: string) => runpod.createPod({ name, image: 'x', gpu: { id: RTX_4090 } });
    const [a, d, c, notebook] = [await create('vidgen-fleet-a'), await create('vidgen-fleet-d'), await create('vidgen-fleet-c'), await create('notebook')];
    await sleep(300);
    await runpod.terminatePod(c.id); // gone from the list and never recorded: unnamed
    await sleep(300);
    await runpod.terminatePod(d.id); // gone from the list, but fleet/state recorded it
    await sleep(300);
    await runpod.stopPod(a.id); // listed at $0/h now; fleet/state has its rate
    await runpod.stopPod(notebook.id);
    await firestore.db.doc(FLEET_STATE_DOCUMENT).set({
      pods: [a, d].map((pod) => ({ id: pod.id, name: pod.name, status: 'RUNNING', gpu: RTX_4090, costPerHour: USD_PER_HOUR })),
    });

    const t0 = Date.now();
    const ms = (offset: number) => new Date(t0 + offset);
    const jobs: Job[] = [
      // On pod a, overlapping: its GPU was held for 600 ms.
      attemptJob({ tier: 'animatediff', backend: 'comfyui', workerId: a.name, startedAt: ms(0), end: { at: ms(400), outcome: 'succeeded', costUsd: 0.0001 } }),
      attemptJob({ tier: 'animatediff', backend: 'comfyui', workerId: a.name, startedAt: ms(200), end: { at: ms(600), outcome: 'failed', costUsd: 0.0001 } }),
      attemptJob({ tier: 'svd', backend: 'comfyui', workerId: d.name, startedAt: ms(100), end: { at: ms(300), outcome: 'succeeded', costUsd: 0.0001 } }),
      attemptJob({ tier: 'animatediff', backend: 'replicate', workerId: 'function', startedAt: ms(0), end: { at: ms(50), outcome: 'succeeded', costUsd: 0.3 } }),
    ];
    for (const [i, job] of jobs.entries()) await firestore.db.collection(COLLECTIONS.jobs).doc(`job-${i}`).set(job);

    const billed = (podId: string) =>
      sim.state().billing.filter((span) => span.podId === podId).reduce((sum, span) => sum + ((span.end! - span.start) / 3_600_000) * span.hourlyRate * span.gpuCount, 0);
    const paid = billed(a.id) + billed(d.id) + billed(c.id);

    const run = await costReport(['--since', new Date(t0 - 60_000).toISOString(), '--until', new Date(t0 + 60_000).toISOString()], { RUNPOD_API_KEY: API_KEY, RUNPOD_API_BASE_URL: sim.url });
    // The Admin SDK warns on stderr that it found no cloud metadata; only a failure's message matters.
    expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({ code: 0, stderr: '' });
    const lines = run.stdout.split('\n');
    const line = (start: string) => lines.find((l) => l.startsWith(start)) ?? '';

    expect(line('Period widened to whole hours')).not.toBe('');
    const paidLine = /^ {2}paid {9}\$(\d+\.\d{4}) for ([\d.]+) s of pods, 3 pods$/.exec(line('  paid'));
    const estimateLine = /^ {15}([\d.]+) s of it estimated at \$3600\.00\/h \(the other pods' average\)/.exec(lines[lines.indexOf(line('  paid')) + 1] ?? '');
    expect(paidLine).not.toBeNull();
    expect(Number(paidLine![1])).toBeCloseTo(paid, 4);
    // Seconds are printed to one decimal: within half of it (toBeCloseTo's bound is strict, and 1.85 printed as 1.8 failed it).
    const toOneDecimal = (printed: string, exact: number) => expect(Math.abs(Number(printed) - exact)).toBeLessThanOrEqual(0.05 + 1e-9);
    toOneDecimal(paidLine![2]!, paid); // a dollar a second
    toOneDecimal(estimateLine![1]!, billed(c.id));
    expect(line('  busy ')).toBe('  busy         0.8 s of GPU time held by attempts on fleet workers');
    expect(line('  utilisation')).toBe(`  utilisation  ${Math.round((0.8 / paid) * 100)}% of the paid pod time`);
    expect(line('    busy').length).toBe(line('    idle').length);
    expect(line('  videos')).toBe(`  videos       2 made on the pods (animatediff 1, svd 1): $${(paid / 2).toFixed(4)} a video`);
    expect(line('  on Replicate')).toMatch(/^ {2}on Replicate \$0\.4700 for the same videos \(animatediff 1 × \$0\.3000 measured, svd 1 × \$0\.1700 default\)/);
    expect(line("  counted as the fleet's")).toContain(`1 pod RunPod no longer lists and fleet/state does not name, $${billed(c.id).toFixed(4)} (${c.id})`);
    expect(line('  not counted')).toBe(`  not counted: 1 pod of the account named otherwise, $${billed(notebook.id).toFixed(4)} (notebook)`);
  });

  it('still prints the job figures when RunPod refuses the key (given as flags), and exits 1', async () => {
    const run = await costReport(['--since', '1h', '--runpod-api-key', 'rpa_wrong', '--runpod-base-url', sim.url], {});
    expect(run.stdout).toMatch(/^Break-even: /m);
    expect(run.stdout).toMatch(/^Fleet pods: could not be read from RunPod: .*401/m);
    expect(run.code).toBe(1);
  });

  it('reads no pod billing with RUNPOD_API_KEY=none', async () => {
    const run = await costReport(['--since', '1h'], { RUNPOD_API_KEY: 'none', RUNPOD_API_BASE_URL: sim.url });
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain('Fleet pods');
    expect(sim.state().requests).toEqual([]);
  });
});
