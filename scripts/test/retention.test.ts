import { runDoctorCli } from '../doctor/cli';
import { runRetentionCli } from '../retention/cli';
import { CloudTasksServer } from './support/cloud-tasks-server';
import { BUCKET, healthyProject, PROJECT } from './support/doctor-project';
import { GoogleApisServer } from './support/google-apis-server';
import { ApiError, type FakeProject, type Json } from './support/google-apis-state';

/** An operator's own rule on the bucket, which retention must leave alone. */
const OPERATORS_RULE = { action: { type: 'SetStorageClass', storageClass: 'NEARLINE' }, condition: { age: 365, matchesStorageClass: ['STANDARD'] } };

describe('npm run retention', () => {
  let apis: GoogleApisServer;
  let state: FakeProject;

  /** A project as deployed before retention existed: no rules of ours, no TTL policies. */
  beforeEach(async () => {
    state = healthyProject();
    state.buckets.get(BUCKET)!.lifecycle = [OPERATORS_RULE];
    state.ttls.clear();
    apis = await GoogleApisServer.start(state);
  });
  afterEach(() => apis.close());

  async function retention(args: string[]): Promise<{ code: number; stdout: string; stderr: string; lines: string[] }> {
    let stdout = '';
    let stderr = '';
    const code = await runRetentionCli(args, {
      stdout: { write: (text: string) => { stdout += text; } },
      stderr: { write: (text: string) => { stderr += text; } },
      env: { DOCTOR_API_BASE_URL: apis.url },
    });
    return { code, stdout, stderr, lines: stdout.split('\n').filter((line) => line && !line.startsWith('#')) };
  }

  const patches = () => apis.mutating().map((r) => `${r.method} ${r.api} ${r.path}`);

  it('status reads only and says what is missing', async () => {
    const run = await retention(['status', '--project', PROJECT]);
    expect(run.code).toBe(0);
    expect(run.lines).toEqual([
      `lifecycle gs://${BUCKET}/videos/: no rule (wanted: 30 days)`,
      `lifecycle gs://${BUCKET}/uploads/: no rule (wanted: 3 days)`,
      'ttl jobs.expiresAt: off',
      'ttl idempotencyKeys.expiresAt: off',
      'ttl ledgers.expiresAt: off',
      'ttl days.expiresAt: off',
      'ttl shards.expiresAt: off',
    ]);
    expect(patches()).toEqual([]);
  });

  it('apply writes the lifecycle rules beside the bucket\'s own and turns on every TTL policy; a second run changes nothing', async () => {
    const run = await retention(['apply', '--project', PROJECT]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.lines).toEqual([
      `lifecycle gs://${BUCKET}/videos/: delete after 30 days (set; was no rule)`,
      `lifecycle gs://${BUCKET}/uploads/: delete after 3 days (set; was no rule)`,
      expect.stringMatching(/^ttl jobs\.expiresAt: turning on \(operation projects\/vidgen-prod\/databases\/\(default\)\/operations\/\w+/),
      expect.stringMatching(/^ttl idempotencyKeys\.expiresAt: turning on/),
      expect.stringMatching(/^ttl ledgers\.expiresAt: turning on/),
      expect.stringMatching(/^ttl days\.expiresAt: turning on/),
      expect.stringMatching(/^ttl shards\.expiresAt: turning on/),
    ]);
    expect(state.buckets.get(BUCKET)!.lifecycle).toEqual([
      OPERATORS_RULE,
      { action: { type: 'Delete' }, condition: { age: 30, matchesPrefix: ['videos/'] } },
      { action: { type: 'Delete' }, condition: { age: 3, matchesPrefix: ['uploads/'] } },
    ]);
    expect([...state.ttls.entries()]).toEqual(['jobs', 'idempotencyKeys', 'ledgers', 'days', 'shards'].map((group) => [`${group}/expiresAt`, 'CREATING']));
    expect(patches()).toEqual([
      `PATCH storage storage/v1/b/${BUCKET}`,
      'PATCH firestore v1/projects/vidgen-prod/databases/(default)/collectionGroups/jobs/fields/expiresAt',
      'PATCH firestore v1/projects/vidgen-prod/databases/(default)/collectionGroups/idempotencyKeys/fields/expiresAt',
      'PATCH firestore v1/projects/vidgen-prod/databases/(default)/collectionGroups/ledgers/fields/expiresAt',
      'PATCH firestore v1/projects/vidgen-prod/databases/(default)/collectionGroups/days/fields/expiresAt',
      'PATCH firestore v1/projects/vidgen-prod/databases/(default)/collectionGroups/shards/fields/expiresAt',
    ]);

    const again = await retention(['apply', '--project', PROJECT]);
    expect(again.lines).toEqual([
      `lifecycle gs://${BUCKET}/videos/: delete after 30 days (as set)`,
      `lifecycle gs://${BUCKET}/uploads/: delete after 3 days (as set)`,
      'ttl jobs.expiresAt: CREATING (documents are deleted once it is ACTIVE)',
      'ttl idempotencyKeys.expiresAt: CREATING (documents are deleted once it is ACTIVE)',
      'ttl ledgers.expiresAt: CREATING (documents are deleted once it is ACTIVE)',
      'ttl days.expiresAt: CREATING (documents are deleted once it is ACTIVE)',
      'ttl shards.expiresAt: CREATING (documents are deleted once it is ACTIVE)',
    ]);
    expect(patches()).toHaveLength(6);
  });

  it('keeps videos as long as the deployed functions\' VIDEO_RETENTION_DAYS says, and replaces an older rule of ours', async () => {
    const runAttempt = state.functions.find((fn) => String(fn.name).endsWith('/runAttempt'))!;
    (runAttempt.serviceConfig as { environmentVariables: Json }).environmentVariables.VIDEO_RETENTION_DAYS = '14';
    state.buckets.get(BUCKET)!.lifecycle!.push({ action: { type: 'Delete' }, condition: { age: 60, matchesPrefix: ['videos/'] } });
    const run = await retention(['apply', '--project', PROJECT, '--upload-days', '2']);
    expect(run.lines.slice(0, 2)).toEqual([
      `lifecycle gs://${BUCKET}/videos/: delete after 14 days (set; was 60 days)`,
      `lifecycle gs://${BUCKET}/uploads/: delete after 2 days (set; was no rule)`,
    ]);
    expect(state.buckets.get(BUCKET)!.lifecycle).toEqual([
      OPERATORS_RULE,
      { action: { type: 'Delete' }, condition: { age: 14, matchesPrefix: ['videos/'] } },
      { action: { type: 'Delete' }, condition: { age: 2, matchesPrefix: ['uploads/'] } },
    ]);
  });

  it('--dry-run says what it would change and changes nothing', async () => {
    const run = await retention(['apply', '--project', PROJECT, '--dry-run', '--video-days', '7']);
    expect(run.lines).toEqual([
      `lifecycle gs://${BUCKET}/videos/: delete after 7 days (would set; was no rule)`,
      `lifecycle gs://${BUCKET}/uploads/: delete after 3 days (would set; was no rule)`,
      'ttl jobs.expiresAt: would turn on (now off)',
      'ttl idempotencyKeys.expiresAt: would turn on (now off)',
      'ttl ledgers.expiresAt: would turn on (now off)',
      'ttl days.expiresAt: would turn on (now off)',
      'ttl shards.expiresAt: would turn on (now off)',
    ]);
    expect(patches()).toEqual([]);
  });

  it('leaves the doctor with nothing to report about retention', async () => {
    await retention(['apply', '--project', PROJECT]);
    for (const key of state.ttls.keys()) state.ttls.set(key, 'ACTIVE');
    const tasks = await CloudTasksServer.start();
    let stdout = '';
    try {
      await runDoctorCli(['--project', PROJECT], { stdout: { write: (text: string) => { stdout += text; } }, stderr: { write: () => true }, env: { DOCTOR_API_BASE_URL: apis.url, CLOUD_TASKS_API_URL: tasks.url } });
    } finally {
      await tasks.close();
    }
    const retentionLines = stdout.split('\n').filter((line) => /^\S+\s+(lifecycle|ttl) /.test(line));
    expect(retentionLines).toHaveLength(7);
    expect(retentionLines.every((line) => line.startsWith('ok '))).toBe(true);
  });

  it('reports a failed API call with exit 1, and bad usage with exit 2', async () => {
    state.failures.set('firestore', new ApiError(403, 'PERMISSION_DENIED', 'The caller does not have permission'));
    const failed = await retention(['apply', '--project', PROJECT]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/^\[retention\] ERROR: GET .*fields\/expiresAt: HTTP 403 PERMISSION_DENIED/);
    for (const args of [['apply'], ['remove', '--project', PROJECT], ['status', '--project', PROJECT, '--dry-run'], ['apply', '--project', PROJECT, '--video-days', '0'], ['apply', '--project', 'demo-vidgen']]) {
      expect((await retention(args)).code).toBe(2);
    }
  });
});
