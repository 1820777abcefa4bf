import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runDoctorCli } from '../doctor/cli';
import { EXPECTED_FUNCTIONS, EXPECTED_SECRETS, expectedRuntime, REQUIRED_APIS } from '../doctor/expected';
import { ACCOUNT_LABEL, describeScope, GRANTS } from '../doctor/roles';
import { runQueuesCli } from '../queues/cli';
import { CloudTasksServer } from './support/cloud-tasks-server';
import { BUCKET, FUNCTIONS_SA, healthyProject, LOCATION, onlyUnder, PROJECT, sa, WORKER_SA, workerRecord } from './support/doctor-project';
import { GoogleApisServer } from './support/google-apis-server';
import { ApiError, serviceDisabled, type FakeProject, type Json } from './support/google-apis-state';
import { runCommand, type Run } from './support/run-command';

const ROOT = join(__dirname, '..', '..');
const queueName = (id: string): string => `projects/${PROJECT}/locations/${LOCATION}/queues/${id}`;
const worker = `serviceAccount:${WORKER_SA}`;

describe('npm run doctor', () => {
  let apis: GoogleApisServer;
  let tasks: CloudTasksServer;
  let state: FakeProject;
  let tasksCallsBefore: number;

  beforeEach(async () => {
    state = healthyProject();
    [apis, tasks] = await Promise.all([GoogleApisServer.start(state), CloudTasksServer.start()]);
    state.documents.set('workers/runpod-a', workerRecord(apis.url, 'runpod-a'));
    state.health.set('/pods/runpod-a/health', 200);
    const provisioned = await runQueuesCli(['provision', '--project', PROJECT], { stdout: { write: () => true }, stderr: { write: () => true }, env: { CLOUD_TASKS_API_URL: tasks.url } });
    expect(provisioned).toBe(0);
    tasksCallsBefore = tasks.calls.length;
  });

  afterEach(async () => {
    await Promise.all([apis.close(), tasks.close()]);
  });

  async function doctor(args: string[] = ['--project', PROJECT], env: Record<string, string> = {}): Promise<Run & { lines: string[] }> {
    let stdout = '';
    let stderr = '';
    const code = await runDoctorCli(args, {
      stdout: { write: (text: string) => { stdout += text; } },
      stderr: { write: (text: string) => { stderr += text; } },
      env: { DOCTOR_API_BASE_URL: apis.url, CLOUD_TASKS_API_URL: tasks.url, ...env },
    });
    return { code, stdout, stderr, lines: stdout.split('\n').filter((line) => line && !line.startsWith('#')) };
  }

  /** Only reads: GET and getIamPolicy at the Google APIs, getQueue at Cloud Tasks. */
  function expectReadOnly(): void {
    expect(apis.mutating()).toEqual([]);
    expect(tasks.calls.slice(tasksCallsBefore).map((call) => call.method).filter((method) => method !== 'getQueue')).toEqual([]);
  }

  it('passes every check of a project deployed as docs/deploy.md says, reading only', async () => {
    const run = await doctor();
    expect(run.stderr).toBe('');
    expect(run.lines.filter((line) => !line.startsWith('ok  '))).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n')[0]).toBe(`# vidgen doctor: project ${PROJECT}, region ${LOCATION}, functions runtime ${expectedRuntime(ROOT)} (firebase.json); read-only`);
    expect(run.lines).toEqual(expect.arrayContaining([
      `ok    project ${PROJECT}: number 123456789012, ACTIVE`,
      `ok    apis: all ${REQUIRED_APIS.length} enabled`,
      `ok    function runAttempt: ACTIVE, ${expectedRuntime(ROOT)}, runs as ${FUNCTIONS_SA}`,
      'ok    secret GEMINI_API_KEY: version 2 enabled',
      'ok    queue runAttempt: RUNNING, maxAttempts=200 minBackoff=1s maxBackoff=15s maxDoublings=4 maxConcurrentDispatches=100 maxDispatchesPerSecond=500',
      'ok    index jobs (ownerUid asc, state asc): READY',
      `ok    bucket gs://${BUCKET}: exists, uniform bucket-level access on`,
      `ok    functions account ${FUNCTIONS_SA}: exists`,
      'ok    functions roles/iam.serviceAccountUser on itself: granted',
      'ok    functions roles/run.invoker on Cloud Run service watchdog: granted',
      `ok    GPU worker roles/storage.objectUser on gs://${BUCKET}/uploads/: granted`,
      'ok    functions roles/secretmanager.secretAccessor on secret REPLICATE_API_TOKEN: granted',
      'ok    workers: 1 of 1 healthy: runpod-a (animatediff, svd; 0/2 running)',
      'ok    config/limits: valid: paused=false userDailyBudgetUsd=5 tiers={"veo":{"enabled":true}}',
      `ok    lifecycle gs://${BUCKET}/videos/: deletes after 30 days (VIDEO_RETENTION_DAYS)`,
      `ok    lifecycle gs://${BUCKET}/uploads/: deletes after 3 days`,
      'ok    ttl jobs.expiresAt: ACTIVE',
      'ok    ttl idempotencyKeys.expiresAt: ACTIVE',
      'ok    ttl ledgers.expiresAt: ACTIVE',
      'ok    ttl days.expiresAt: ACTIVE',
      'ok    ttl shards.expiresAt: ACTIVE',
    ]));
    expect(run.lines).toContainEqual(expect.stringMatching(/^ok {4}storage rules: ruleset ruleset-\w+ \(released 2026-01-02T00:00:00Z\) is storage\.rules$/));
    // One line per check: project, apis, 5 functions, 4 secrets, 2 queues, 6 indexes, bucket, 2 rules,
    // 2 lifecycle rules and 5 TTL policies, the functions' account and its 11 grants, the worker's
    // account and its 6, workers, config/limits.
    expect(run.lines).toHaveLength(1 + 1 + 5 + 4 + 2 + 6 + 1 + 2 + 7 + 12 + 7 + 1 + 1);
    expect(run.stdout.trimEnd().split('\n').pop()).toBe('# no FAIL');
    expectReadOnly();
  });

  type Arrange = (s: FakeProject, context: { tasks: CloudTasksServer; origin: string }) => void;
  const fn = (s: FakeProject, id: string): Json => s.functions.find((f) => String(f.name).endsWith(`/${id}`)) as Json;
  const bucketBindings = (s: FakeProject) => s.buckets.get(BUCKET)!.policy.bindings!;
  const projectBinding = (s: FakeProject, role: string) => s.projectPolicy.bindings!.find((b) => b.role === role)!;
  const drop = (members: string[], member: string): void => void members.splice(members.indexOf(member), 1);

  // [what is wrong, how the project is made so, the warn/FAIL lines expected (each a prefix), exit code]
  const cases: [string, Arrange, string[], number][] = [
    ['APIs are disabled', (s) => { s.enabledApis.delete('cloudtasks.googleapis.com'); s.enabledApis.delete('run.googleapis.com'); },
      [`FAIL  apis: not enabled: run.googleapis.com, cloudtasks.googleapis.com  -> fix: gcloud services enable run.googleapis.com cloudtasks.googleapis.com --project=${PROJECT}`], 1],
    ['a function is not deployed', (s) => { s.functions = s.functions.filter((f) => !String(f.name).endsWith('/watchdogTick')); },
      [`FAIL  function watchdogTick: not deployed in ${LOCATION}  -> fix: npx firebase deploy --only functions --project ${PROJECT}`], 1],
    ['a function runs on another runtime', (s) => { (fn(s, 'runAttempt').buildConfig as Json).runtime = 'nodejs20'; },
      [`FAIL  function runAttempt: runtime nodejs20, firebase.json wants ${expectedRuntime(ROOT)}`], 1],
    ['a function failed to deploy', (s) => { fn(s, 'createVideoJob').state = 'FAILED'; }, ['FAIL  function createVideoJob: state FAILED'], 1],
    ['the functions run as different accounts', (s) => { (fn(s, 'watchdog').serviceConfig as Json).serviceAccountEmail = WORKER_SA; },
      ['FAIL  function accounts: the functions run as different accounts'], 1],
    ['a secret does not exist', (s) => { s.secrets.delete('GEMINI_API_KEY'); },
      [`FAIL  secret GEMINI_API_KEY: does not exist  -> fix: npx firebase functions:secrets:set GEMINI_API_KEY --project ${PROJECT}`,
        'FAIL  functions roles/secretmanager.secretAccessor on secret GEMINI_API_KEY: the secret does not exist'], 1],
    ['a secret has no version', (s) => { s.secrets.get('REPLICATE_API_TOKEN')!.versions = []; }, ['FAIL  secret REPLICATE_API_TOKEN: has no version'], 1],
    ["a secret's latest version is disabled", (s) => { s.secrets.get('WORKER_SHARED_SECRET')!.versions.push('DISABLED'); },
      ['FAIL  secret WORKER_SHARED_SECRET: latest version 3 is DISABLED'], 1],
    ['a queue has other settings', (_s, { tasks }) => tasks.editQueue(queueName('runAttempt'), (q) => { (q.retryConfig as Json).maxAttempts = 3; }),
      [`FAIL  queue runAttempt: retry_config.max_attempts 3, want 200  -> fix: npm run queues -- provision --project ${PROJECT} --location ${LOCATION}`], 1],
    ['a queue is paused', (_s, { tasks }) => tasks.editQueue(queueName('watchdogTick'), (q) => { q.state = 'PAUSED'; }),
      [`FAIL  queue watchdogTick: state PAUSED  -> fix: gcloud tasks queues resume watchdogTick --location=${LOCATION} --project=${PROJECT}`], 1],
    ['Cloud Tasks refuses the doctor', (_s, { tasks }) => tasks.failCalls('getQueue', 'runAttempt', { status: 'PERMISSION_DENIED', message: 'The principal lacks cloudtasks.queues.get' }),
      [`FAIL  queue runAttempt: could not check (getQueue: 7 PERMISSION_DENIED: The principal lacks cloudtasks.queues.get)  -> fix: run the doctor as an account with roles/viewer and roles/iam.securityReviewer on ${PROJECT}`], 1],
    ['an index is missing', (s) => { s.indexes.shift(); },
      [`FAIL  index jobs (ownerUid asc, state asc): missing  -> fix: npx firebase deploy --only firestore:indexes --project ${PROJECT}`], 1],
    ['an index is still building', (s) => { s.indexes[1]!.state = 'CREATING'; }, ['warn  index jobs (ownerUid asc, createdAt desc): CREATING'], 0],
    ['an index needs repair', (s) => { s.indexes[4]!.state = 'NEEDS_REPAIR'; }, ['FAIL  index jobs (attempt.state asc, attempt.backend asc, attempt.createdAt asc): state NEEDS_REPAIR'], 1],
    ['no lifecycle rule deletes videos', (s) => { s.buckets.get(BUCKET)!.lifecycle!.splice(1, 1); },
      [`FAIL  lifecycle gs://${BUCKET}/videos/: no rule deletes videos: storage grows without end  -> fix: npm run retention -- apply --project ${PROJECT}`], 1],
    ['the videos rule disagrees with VIDEO_RETENTION_DAYS', (s) => {
      (fn(s, 'runAttempt').serviceConfig as { environmentVariables: Json }).environmentVariables.VIDEO_RETENTION_DAYS = '14';
    }, [`warn  lifecycle gs://${BUCKET}/videos/: deletes after 30 days, but jobs say their videos expire after VIDEO_RETENTION_DAYS=14`], 0],
    ['unused uploads stay for a month', (s) => { s.buckets.get(BUCKET)!.lifecycle![2] = { action: { type: 'Delete' }, condition: { age: 30, matchesPrefix: ['uploads/'] } }; },
      [`warn  lifecycle gs://${BUCKET}/uploads/: deletes after 30 days: more than the 7 an unused upload should stay`], 0],
    ['the bucket has no lifecycle at all', (s) => { delete s.buckets.get(BUCKET)!.lifecycle; },
      [`FAIL  lifecycle gs://${BUCKET}/videos/`, `FAIL  lifecycle gs://${BUCKET}/uploads/: no rule deletes unused reference uploads`], 1],
    ['no TTL policy on jobs', (s) => { s.ttls.delete('jobs/expiresAt'); },
      [`FAIL  ttl jobs.expiresAt: off: these documents are never deleted  -> fix: npm run retention -- apply --project ${PROJECT}`], 1],
    ['a TTL policy still being created', (s) => { s.ttls.set('idempotencyKeys/expiresAt', 'CREATING'); }, ['warn  ttl idempotencyKeys.expiresAt: CREATING'], 0],
    ['the Firestore rules were never released', (s) => { s.releases.delete('cloud.firestore'); },
      [`FAIL  firestore rules: never released (releases/cloud.firestore)  -> fix: npx firebase deploy --only firestore:rules --project ${PROJECT}`], 1],
    ['the released Storage rules are not storage.rules', (s) => { s.releases.get(`firebase.storage/${BUCKET}`)!.content = "rules_version = '2';\n"; },
      ['FAIL  storage rules: the released ruleset ruleset-'], 1],
    ['the bucket uses fine-grained access', (s) => { s.buckets.get(BUCKET)!.uniformAccess = false; },
      [`warn  bucket gs://${BUCKET}: uniform bucket-level access is off: the IAM conditions of the roles table cannot be set  -> fix: gcloud storage buckets update gs://${BUCKET} --uniform-bucket-level-access`], 0],
    ["the functions' STORAGE_BUCKET names a bucket that does not exist", (s) => {
      (fn(s, 'runAttempt').serviceConfig as { environmentVariables: Json }).environmentVariables.STORAGE_BUCKET = 'vidgen-videos';
    }, ['FAIL  bucket gs://vidgen-videos: not found', 'FAIL  storage rules: not checked: no bucket  -> fix: see the bucket line above',
      'FAIL  lifecycle gs://vidgen-videos/videos/: not checked: no bucket', 'FAIL  lifecycle gs://vidgen-videos/uploads/: not checked: no bucket',
      'FAIL  functions roles/storage.objectAdmin on gs://vidgen-videos/videos/: not checked: no bucket', 'FAIL  functions roles/storage.objectUser on gs://vidgen-videos/uploads/: not checked',
      'FAIL  GPU worker roles/storage.objectAdmin on gs://vidgen-videos/videos/: not checked', 'FAIL  GPU worker roles/storage.objectUser on gs://vidgen-videos/uploads/: not checked'], 1],
    ['the worker lacks Firestore', (s) => drop(projectBinding(s, 'roles/datastore.user').members, worker),
      [`FAIL  GPU worker roles/datastore.user on the project: missing  -> fix: gcloud projects add-iam-policy-binding ${PROJECT} --member=${worker} --role=roles/datastore.user --condition=None`], 1],
    ['the functions may not enqueue', (s) => drop(projectBinding(s, 'roles/cloudtasks.enqueuer').members, sa(FUNCTIONS_SA)),
      ['FAIL  functions roles/cloudtasks.enqueuer on the project: missing'], 1],
    ['the worker may not act as itself (Cloud Tasks would refuse its OIDC tasks)', (s) => { s.serviceAccounts.get(WORKER_SA)!.policy = {}; },
      [`FAIL  GPU worker roles/iam.serviceAccountUser on itself: missing  -> fix: gcloud iam service-accounts add-iam-policy-binding ${WORKER_SA} --member=${worker} --role=roles/iam.serviceAccountUser --project=${PROJECT}`], 1],
    ['serviceAccountUser is granted on the whole project', (s) => {
      s.serviceAccounts.get(FUNCTIONS_SA)!.policy = {};
      s.projectPolicy.bindings!.push({ role: 'roles/iam.serviceAccountUser', members: [sa(FUNCTIONS_SA)] });
    }, ['warn  functions roles/iam.serviceAccountUser on itself: granted on the project: broader than needed'], 0],
    ['the worker may not invoke runAttempt', (s) => drop(s.runServices.get('runattempt')!.bindings![0]!.members, worker),
      [`FAIL  GPU worker roles/run.invoker on Cloud Run service runattempt: missing  -> fix: gcloud run services add-iam-policy-binding runattempt --region=${LOCATION} --member=${worker} --role=roles/run.invoker --project=${PROJECT}`], 1],
    ['Cloud Scheduler may not invoke watchdog', (s) => { s.runServices.set('watchdog', {}); }, ['FAIL  functions roles/run.invoker on Cloud Run service watchdog: missing'], 1],
    ['the worker may read and write the whole bucket', (s) => { delete bucketBindings(s)[2]!.condition; },
      [`warn  functions roles/storage.objectAdmin on gs://${BUCKET}/videos/: granted on the bucket, without a condition: broader than needed`,
        `warn  GPU worker roles/storage.objectAdmin on gs://${BUCKET}/videos/: granted on the bucket, without a condition: broader than needed`], 0],
    ['a bucket condition names another prefix', (s) => { bucketBindings(s)[3]!.condition = onlyUnder('videos/'); },
      ['FAIL  functions roles/storage.objectUser on gs://' + BUCKET + `/uploads/: missing  -> fix: gcloud storage buckets add-iam-policy-binding gs://${BUCKET} --member=serviceAccount:${FUNCTIONS_SA} --role=roles/storage.objectUser --condition='expression=resource.name.startsWith("projects/_/buckets/${BUCKET}/objects/uploads/"),title=uploads only'`,
        `FAIL  GPU worker roles/storage.objectUser on gs://${BUCKET}/uploads/: missing`], 1],
    ['a bucket condition covers every object', (s) => { bucketBindings(s)[3]!.condition = onlyUnder(''); },
      [`warn  functions roles/storage.objectUser on gs://${BUCKET}/uploads/: granted on the bucket, condition allows every object under projects/_/buckets/${BUCKET}/objects/: broader than needed`,
        `warn  GPU worker roles/storage.objectUser on gs://${BUCKET}/uploads/`], 0],
    ['a bucket condition the doctor cannot read', (s) => { bucketBindings(s)[3]!.condition!.expression += ' && request.time < timestamp("2030-01-01T00:00:00Z")'; },
      ['warn  functions roles/storage.objectUser on gs://', 'warn  GPU worker roles/storage.objectUser on gs://'], 0],
    ['the default account holds Editor instead of its roles', (s) => {
      drop(projectBinding(s, 'roles/datastore.user').members, sa(FUNCTIONS_SA));
      s.projectPolicy.bindings!.push({ role: 'roles/editor', members: [sa(FUNCTIONS_SA)] });
    }, ['warn  functions roles/datastore.user on the project: granted on the project through roles/editor: broader than needed'], 0],
    ['the functions may not read a secret', (s) => { s.secrets.get('WORKER_SHARED_SECRET')!.policy = {}; },
      [`FAIL  functions roles/secretmanager.secretAccessor on secret WORKER_SHARED_SECRET: missing  -> fix: gcloud secrets add-iam-policy-binding WORKER_SHARED_SECRET --member=serviceAccount:${FUNCTIONS_SA} --role=roles/secretmanager.secretAccessor --project=${PROJECT}`], 1],
    ["the worker's account does not exist", (s) => { s.serviceAccounts.delete(WORKER_SA); },
      [`FAIL  GPU worker account ${WORKER_SA}: does not exist; its roles are not checked  -> fix: gcloud iam service-accounts create vidgen-gpu-worker --display-name="vidgen GPU workers" --project=${PROJECT}`], 1],
    ["the functions' account is disabled", (s) => { s.serviceAccounts.get(FUNCTIONS_SA)!.disabled = true; },
      [`FAIL  functions account ${FUNCTIONS_SA}: is disabled  -> fix: gcloud iam service-accounts enable ${FUNCTIONS_SA} --project=${PROJECT}`], 1],
    ['no worker is registered', (s) => { s.documents.delete('workers/runpod-a'); }, ['FAIL  workers: none registered in workers/'], 1],
    ["the only worker's heartbeat is stale", (s, { origin }) => { s.documents.set('workers/runpod-a', workerRecord(origin, 'runpod-a', { heartbeatAt: new Date(Date.now() - 60_000) })); },
      ['FAIL  workers: 0 of 1 healthy: runpod-a: last heartbeat '], 1],
    ['the only worker is draining', (s, { origin }) => { s.documents.set('workers/runpod-a', workerRecord(origin, 'runpod-a', { state: 'draining' })); },
      ['FAIL  workers: 0 of 1 healthy: runpod-a: state draining'], 1],
    ['the only worker has no tier ready', (s, { origin }) => { s.documents.set('workers/runpod-a', workerRecord(origin, 'runpod-a', { tiersReady: [] })); },
      ['FAIL  workers: 0 of 1 healthy: runpod-a: no tier ready'], 1],
    ["the only worker's /health fails", (s) => { s.health.set('/pods/runpod-a/health', 503); }, ['FAIL  workers: 0 of 1 healthy: runpod-a: GET http://127.0.0.1:'], 1],
    ["a worker's record is invalid", (s) => { (s.documents.get('workers/runpod-a') as Json).capacity = 0; },
      ['FAIL  workers: 0 of 1 healthy: runpod-a: invalid record (capacity: '], 1],
    ['one worker of two is stale', (s, { origin }) => { s.documents.set('workers/runpod-b', workerRecord(origin, 'runpod-b', { heartbeatAt: new Date(Date.now() - 3_600_000) })); },
      ['warn  workers: 1 of 2 healthy: runpod-a (animatediff, svd; 0/2 running); not: runpod-b: last heartbeat '], 0],
    ['config/limits does not exist', (s) => { s.documents.delete('config/limits'); },
      ['warn  config/limits: does not exist: the defaults apply (not paused; budgets $100 a month, $12 a day per user, $1 a day per anonymous user; 5 jobs a minute per user; anonymous users: animatediff; every tier on)'], 0],
    ['config/limits is invalid', (s) => { s.documents.set('config/limits', { paused: 'yes', userJobsPerMinute: 0, tiers: { sora: {} }, pasued: true }); },
      ['FAIL  config/limits: invalid (the service ignores these fields and applies their defaults): paused: must be true or false; userJobsPerMinute: must be at least 1; tiers.sora: '], 1],
    ['Secret Manager refuses the doctor', (s) => { s.failures.set('secretmanager', new ApiError(403, 'PERMISSION_DENIED', "Permission 'secretmanager.secrets.get' denied")); },
      [...EXPECTED_SECRETS.map((name) => `FAIL  secret ${name}: could not check (GET `),
        ...EXPECTED_SECRETS.map((name) => `FAIL  functions roles/secretmanager.secretAccessor on secret ${name}: could not check (GET `)], 1],
    ['the Firestore API is disabled', (s) => { s.failures.set('firestore', serviceDisabled('firestore.googleapis.com', 'Cloud Firestore API', s.projectNumber)); },
      ['FAIL  indexes: could not check', 'FAIL  ttl: could not check', 'FAIL  workers: could not check', 'FAIL  config/limits: could not check'], 1],
  ];

  it.each(cases)('%s: reports it with the fix, reading only', async (_name, arrange, expected, code) => {
    arrange(state, { tasks, origin: apis.url });
    const run = await doctor();
    const flagged = run.lines.filter((line) => !line.startsWith('ok  '));
    expect(flagged).toHaveLength(expected.length);
    expected.forEach((prefix, i) => expect(flagged[i]).toContain(prefix));
    for (const line of flagged) expect(line).toMatch(/ {2}-> fix: \S/);
    expect(run.code).toBe(code);
    expectReadOnly();
  });

  it('says which API to enable when one is off (the ErrorInfo of its 403)', async () => {
    state.failures.set('firestore', serviceDisabled('firestore.googleapis.com', 'Cloud Firestore API', state.projectNumber));
    const run = await doctor();
    expect(run.lines.find((line) => line.startsWith('FAIL  workers'))).toMatch(/-> fix: gcloud services enable firestore\.googleapis\.com --project=vidgen-prod$/);
  });

  it('says to set a quota project when the API is off in the project the credentials bill to, not in ours', async () => {
    state.failures.set('firebaserules', serviceDisabled('firebaserules.googleapis.com', 'Firebase Rules API', '764086051850'));
    const run = await doctor();
    expect(run.lines.filter((line) => line.startsWith('FAIL'))).toEqual([
      expect.stringMatching(/^FAIL {2}rules: could not check .* -> fix: gcloud auth application-default set-quota-project vidgen-prod$/),
    ]);
  });

  it('stops after the project line when the project cannot be read', async () => {
    const run = await doctor(['--project', 'vidgen-other']);
    expect(run.lines).toEqual([expect.stringMatching(/^FAIL {2}project vidgen-other: not found, or this account may not read it .* -> fix: gcloud projects describe vidgen-other/)]);
    expect(run.code).toBe(1);
    expectReadOnly();
  });

  it('says how to log in when the credentials are refused', async () => {
    const run = await doctor(undefined, { DOCTOR_API_TOKEN: 'expired' });
    expect(run.lines).toEqual([expect.stringMatching(/^FAIL {2}project vidgen-prod: could not check \(GET .*HTTP 401 UNAUTHENTICATED.* -> fix: gcloud auth application-default login$/)]);
    expect(run.code).toBe(1);
  });

  it('checks the accounts and bucket it is told to', async () => {
    const other = `vidgen-worker@${PROJECT}.iam.gserviceaccount.com`;
    state.serviceAccounts.set(other, { disabled: false, policy: {} });
    const run = await doctor(['--project', PROJECT, '--worker-sa', other, '--bucket', 'vidgen-elsewhere']);
    expect(run.lines).toContain(`ok    GPU worker account ${other}: exists`);
    expect(run.lines).toContain(`FAIL  GPU worker roles/datastore.user on the project: missing  -> fix: gcloud projects add-iam-policy-binding ${PROJECT} --member=serviceAccount:${other} --role=roles/datastore.user --condition=None`);
    expect(run.lines).toContain('FAIL  bucket gs://vidgen-elsewhere: not found  -> fix: create Storage in the Firebase console (Build > Storage), or name the bucket with --bucket');
  });

  it.each([
    [[], '--project is required (or set GOOGLE_CLOUD_PROJECT)'],
    [['--project', 'demo-vidgen'], "--project: 'demo-vidgen' is an emulator-only demo project"],
    [['--project', PROJECT, '--location', 'mars'], "--location: 'mars' is not a region"],
    [['--project', PROJECT, '--worker-sa', 'nobody'], "--worker-sa: 'nobody' is not a service account email"],
    [['--project', PROJECT, '--bucket', 'gs://x'], "--bucket: 'gs://x' is not a bucket name"],
    [['--project', PROJECT, '--projct', 'x'], "Unknown option '--projct'"],
  ])('exits 2 on bad usage: %j', async (args, message) => {
    const run = await doctor(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(apis.requests).toEqual([]);
  });

  it('runs as `npm run doctor` does (tsx scripts/doctor.ts), exiting 1 on a FAIL', async () => {
    state.enabledApis.delete('cloudtasks.googleapis.com');
    const run = await runCommand(join(ROOT, 'node_modules', '.bin', 'tsx'), [join(ROOT, 'scripts', 'doctor.ts'), '--project', PROJECT], {
      PATH: process.env.PATH ?? '/usr/bin:/bin', DOCTOR_API_BASE_URL: apis.url, CLOUD_TASKS_API_URL: tasks.url,
    });
    expect(run.stdout).toContain('FAIL  apis: not enabled: cloudtasks.googleapis.com');
    expect(run.stdout).toContain('ok    workers: 1 of 1 healthy');
    expect(run.code).toBe(1);
  }, 20_000);

  it('prints its usage with --help', async () => {
    const run = await doctor(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage: npm run doctor -- --project PROJECT_ID');
  });
});

describe("the doctor's expectations", () => {
  const source = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

  it('are the functions and secrets functions/src declares', () => {
    const index = source('functions/src/index.ts');
    expect([...index.matchAll(/^export const (\w+) = on(?:Call|TaskDispatched|Schedule|Request)\b/gm)].map((m) => m[1]).sort()).toEqual([...EXPECTED_FUNCTIONS].sort());
    const config = source('functions/src/config.ts');
    expect([...config.matchAll(/defineSecret\('(\w+)'\)/g)].map((m) => m[1]).sort()).toEqual([...EXPECTED_SECRETS].sort());
  });

  it('are the APIs docs/deploy.md enables and lists, once', () => {
    const docs = source('docs/deploy.md');
    const enable = [...docs.matchAll(/gcloud services enable ((?:[a-z0-9.-]+\.googleapis\.com(?: |\s*\\\n\s*))+)--project/g)];
    expect(enable).toHaveLength(1);
    expect(enable[0]![1]!.split(/[\s\\]+/).filter(Boolean)).toEqual(REQUIRED_APIS.map(({ api }) => api));
    const table = [...docs.matchAll(/^\s*\| `([a-z0-9.-]+\.googleapis\.com)` \| (.+) \|$/gm)].map((m) => ({ api: m[1], why: m[2] }));
    expect(table).toEqual(REQUIRED_APIS);
  });

  it("are the roles of docs/deploy.md's table, which gpu-worker/runpod/README.md does not repeat", () => {
    const rows = [...source('docs/deploy.md').matchAll(/^\| (functions|GPU worker) \| `(roles\/[\w.]+)` \| (.+?) \| (.+) \|$/gm)].map((m) => m.slice(1, 5));
    expect(rows).toEqual(GRANTS.map((grant) => [ACCOUNT_LABEL[grant.account], grant.role, describeScope(grant.scope), grant.why]));
    expect(source('gpu-worker/runpod/README.md')).not.toMatch(/roles\/\w/);
  });

  it("take the runtime from firebase.json's functions[0].runtime", () => {
    const firebase = JSON.parse(source('firebase.json')) as { functions: { runtime: string }[] };
    expect(expectedRuntime(ROOT)).toBe(firebase.functions[0]!.runtime);
  });
});
