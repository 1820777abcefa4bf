import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const SCRIPT = join(ROOT, 'scripts', 'provision-queues.sh');

interface Run { code: number | null; stdout: string; stderr: string }

function runScript(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [SCRIPT, ...args], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmpdir(), LANG: 'C', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * What `firebase deploy` makes of a task-queue function's options (firebase-tools' DEFAULT_SETTINGS
 * under the function's retryConfig and rateLimits), read from functions/src/index.ts, as gcloud flags.
 */
function deployedSettings(fn: string): string[] {
  const source = readFileSync(join(ROOT, 'functions', 'src', 'index.ts'), 'utf8');
  const start = source.indexOf(`export const ${fn} = onTaskDispatched(`);
  expect(start).toBeGreaterThanOrEqual(0);
  const next = source.indexOf('export const', start + 1);
  const block = source.slice(start, next === -1 ? undefined : next);
  const number = (key: string): number | undefined => {
    const match = new RegExp(`\\b${key}:\\s*([0-9.]+)`).exec(block);
    return match ? Number(match[1]) : undefined;
  };
  const settings = {
    maxAttempts: number('maxAttempts') ?? 3,
    minBackoff: number('minBackoffSeconds') ?? 0.1,
    maxBackoff: number('maxBackoffSeconds') ?? 3600,
    maxDoublings: number('maxDoublings') ?? 16,
    maxConcurrentDispatches: number('maxConcurrentDispatches') ?? 1000,
    maxDispatchesPerSecond: number('maxDispatchesPerSecond') ?? 500,
  };
  return [
    `--max-attempts=${settings.maxAttempts}`,
    `--min-backoff=${settings.minBackoff}s`,
    `--max-backoff=${settings.maxBackoff}s`,
    `--max-doublings=${settings.maxDoublings}`,
    `--max-concurrent-dispatches=${settings.maxConcurrentDispatches}`,
    `--max-dispatches-per-second=${settings.maxDispatchesPerSecond}`,
  ];
}

describe('scripts/provision-queues.sh', () => {
  let work: string;
  beforeEach(() => { work = mkdtempSync(join(tmpdir(), 'vidgen-queues-')); });
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  /**
   * A stand-in gcloud, first on PATH: logs its argv, one line per call, and answers like gcloud for
   * queues that already exist (create fails with ALREADY_EXISTS, describe succeeds) or that this
   * account may not touch (everything fails with PERMISSION_DENIED). The real gcloud is never run.
   */
  function fakeGcloud(existing: string[], denied: string[] = []): { env: Record<string, string>; calls: () => string[][] } {
    const bin = join(work, 'bin');
    const log = join(work, 'gcloud.log');
    writeFileSync(log, '');
    mkdirSync(bin);
    writeFileSync(join(bin, 'gcloud'), `#!/usr/bin/env bash
printf '%s\\x1f' "$@" >>"$FAKE_GCLOUD_LOG"; printf '\\n' >>"$FAKE_GCLOUD_LOG"
verb="$3"; queue="$4"
for q in $FAKE_GCLOUD_DENIED; do
  if [[ "$queue" == "$q" ]]; then echo "ERROR: (gcloud.tasks.queues.$verb) PERMISSION_DENIED: The principal lacks cloudtasks.queues.$verb" >&2; exit 1; fi
done
exists=0
for q in $FAKE_GCLOUD_EXISTING; do [[ "$queue" == "$q" ]] && exists=1; done
case "$verb" in
  create) if [[ $exists == 1 ]]; then echo "ERROR: (gcloud.tasks.queues.create) ALREADY_EXISTS: Requested entity already exists" >&2; exit 1; fi ;;
  describe) if [[ $exists == 0 ]]; then echo "ERROR: (gcloud.tasks.queues.describe) NOT_FOUND: Requested entity was not found." >&2; exit 1; fi; echo "projects/x/locations/y/queues/$queue" ;;
esac
exit 0
`);
    chmodSync(join(bin, 'gcloud'), 0o755);
    return {
      env: { PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`, FAKE_GCLOUD_LOG: log, FAKE_GCLOUD_EXISTING: existing.join(' '), FAKE_GCLOUD_DENIED: denied.join(' ') },
      calls: () => readFileSync(log, 'utf8').split('\n').filter(Boolean).map((line) => line.split('\x1f').filter(Boolean)),
    };
  }

  const common = (location = 'us-central1') => ['--project=vidgen-prod', `--location=${location}`, '--quiet'];

  it('--dry-run prints create and update commands with the settings functions/src/index.ts deploys', async () => {
    const run = await runScript(['--project', 'vidgen-prod', '--dry-run']);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const lines = run.stdout.split('\n');
    for (const queue of ['runAttempt', 'watchdogTick']) {
      const flags = [...common(), ...deployedSettings(queue)].join(' ');
      expect(lines).toContain(`gcloud tasks queues create ${queue} ${flags}`);
      expect(lines).toContain(`gcloud tasks queues update ${queue} ${flags}`);
    }
  });

  it('runAttempt gets the retry and rate settings of the function (sanity check of the reader above)', () => {
    expect(deployedSettings('runAttempt')).toEqual([
      '--max-attempts=200', '--min-backoff=1s', '--max-backoff=15s', '--max-doublings=4',
      '--max-concurrent-dispatches=100', '--max-dispatches-per-second=500',
    ]);
    expect(deployedSettings('watchdogTick')[0]).toBe('--max-attempts=1');
  });

  it('honours --location', async () => {
    const run = await runScript(['--project=vidgen-prod', '--location=europe-west1', '--dry-run']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`gcloud tasks queues create runAttempt ${common('europe-west1').join(' ')} `);
  });

  it('creates queues that do not exist and updates those that do, with the same flags', async () => {
    const gcloud = fakeGcloud(['runAttempt']);
    const run = await runScript(['--project', 'vidgen-prod'], gcloud.env);

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('[queues] updated runAttempt in vidgen-prod/us-central1');
    expect(run.stdout).toContain('[queues] created watchdogTick in vidgen-prod/us-central1');
    const runAttempt = [...common(), ...deployedSettings('runAttempt')];
    expect(gcloud.calls()).toEqual([
      ['tasks', 'queues', 'create', 'runAttempt', ...runAttempt],
      ['tasks', 'queues', 'describe', 'runAttempt', '--project=vidgen-prod', '--location=us-central1', '--format=value(name)'],
      ['tasks', 'queues', 'update', 'runAttempt', ...runAttempt],
      ['tasks', 'queues', 'create', 'watchdogTick', ...common(), ...deployedSettings('watchdogTick')],
    ]);
  });

  it('is idempotent: a second run updates both queues', async () => {
    const gcloud = fakeGcloud(['runAttempt', 'watchdogTick']);
    const run = await runScript(['--project', 'vidgen-prod'], gcloud.env);
    expect(run.code).toBe(0);
    expect(gcloud.calls().map((call) => `${call[2]} ${call[3]}`)).toEqual([
      'create runAttempt', 'describe runAttempt', 'update runAttempt',
      'create watchdogTick', 'describe watchdogTick', 'update watchdogTick',
    ]);
  });

  it('fails with gcloud\'s own error when a queue can be neither created nor found, and still does the other', async () => {
    const gcloud = fakeGcloud([], ['runAttempt']);
    const run = await runScript(['--project', 'vidgen-prod'], gcloud.env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('[queues] ERROR: creating runAttempt failed');
    expect(run.stderr).toContain('PERMISSION_DENIED: The principal lacks cloudtasks.queues.create');
    expect(gcloud.calls().map((call) => `${call[2]} ${call[3]}`)).toEqual(['create runAttempt', 'describe runAttempt', 'create watchdogTick']);
  });

  it('refuses to run without a project, or against an emulator demo project', async () => {
    const none = await runScript(['--dry-run']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('--project is required');
    const demo = await runScript(['--project', 'demo-vidgen', '--dry-run']);
    expect(demo.code).toBe(2);
    expect(demo.stderr).toContain('emulator-only demo project');
  });
});
