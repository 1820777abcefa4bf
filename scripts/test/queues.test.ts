import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { runQueuesCli } from '../queues/cli';
import { createTasksClient } from '../queues/client';
import { apiError } from '../queues/errors';
import { FIREBASE_DEFAULTS, QUEUES, type QueueSettings } from '../queues/settings';
import { CloudTasksServer } from './support/cloud-tasks-server';
import { runCommand, type Run } from './support/run-command';

const ROOT = join(__dirname, '..', '..');
const PROJECT = 'vidgen-test';
const LOCATION = 'us-central1';
const queueName = (id: string, location = LOCATION): string => `projects/${PROJECT}/locations/${location}/queues/${id}`;


/**
 * What `firebase deploy` makes of a task-queue function's options (firebase-tools' DEFAULT_SETTINGS
 * under the function's retryConfig and rateLimits), read from functions/src/index.ts.
 */
function deployedSettings(fn: string): QueueSettings {
  const source = readFileSync(join(ROOT, 'functions', 'src', 'index.ts'), 'utf8');
  const start = source.indexOf(`export const ${fn} = onTaskDispatched(`);
  expect(start).toBeGreaterThanOrEqual(0);
  const next = source.indexOf('export const', start + 1);
  const block = source.slice(start, next === -1 ? undefined : next);
  const number = (key: string): number | undefined => {
    const match = new RegExp(`\\b${key}:\\s*([0-9.]+)`).exec(block);
    return match ? Number(match[1]) : undefined;
  };
  return {
    maxAttempts: number('maxAttempts') ?? FIREBASE_DEFAULTS.maxAttempts,
    minBackoffSeconds: number('minBackoffSeconds') ?? FIREBASE_DEFAULTS.minBackoffSeconds,
    maxBackoffSeconds: number('maxBackoffSeconds') ?? FIREBASE_DEFAULTS.maxBackoffSeconds,
    maxDoublings: number('maxDoublings') ?? FIREBASE_DEFAULTS.maxDoublings,
    maxConcurrentDispatches: number('maxConcurrentDispatches') ?? FIREBASE_DEFAULTS.maxConcurrentDispatches,
    maxDispatchesPerSecond: number('maxDispatchesPerSecond') ?? FIREBASE_DEFAULTS.maxDispatchesPerSecond,
  };
}

describe('queue settings', () => {
  it('are what firebase deploy makes of the task-queue functions in functions/src/index.ts', () => {
    const source = readFileSync(join(ROOT, 'functions', 'src', 'index.ts'), 'utf8');
    const functions = [...source.matchAll(/export const (\w+) = onTaskDispatched\(/g)].map((match) => match[1]);
    expect(QUEUES.map((queue) => queue.id).sort()).toEqual([...functions].sort());
    for (const queue of QUEUES) expect(queue.settings).toEqual(deployedSettings(queue.id));
  });

  it('reads the function options right (sanity check of the reader above)', () => {
    expect(deployedSettings('runAttempt')).toEqual({
      maxAttempts: 200, minBackoffSeconds: 1, maxBackoffSeconds: 15, maxDoublings: 4, maxConcurrentDispatches: 100, maxDispatchesPerSecond: 500,
    });
    expect(deployedSettings('watchdogTick').maxAttempts).toBe(1);
  });
});

describe('npm run queues', () => {
  let server: CloudTasksServer;
  beforeEach(async () => { server = await CloudTasksServer.start(); });
  afterEach(() => server.close());

  async function queues(...args: string[]): Promise<Run> {
    let stdout = '';
    let stderr = '';
    const code = await runQueuesCli(args, {
      stdout: { write: (text: string) => { stdout += text; } },
      stderr: { write: (text: string) => { stderr += text; } },
      env: { CLOUD_TASKS_API_URL: server.url },
    });
    return { code, stdout, stderr };
  }
  const provision = (...extra: string[]): Promise<Run> => queues('provision', '--project', PROJECT, ...extra);

  it('provision creates both queues with the exact settings', async () => {
    const run = await provision();
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`[queues] created runAttempt in ${PROJECT}/${LOCATION}: maxAttempts=200 minBackoff=1s maxBackoff=15s maxDoublings=4 maxConcurrentDispatches=100 maxDispatchesPerSecond=500\n`);
    expect(run.stdout).toContain(`[queues] created watchdogTick in ${PROJECT}/${LOCATION}: maxAttempts=1 minBackoff=0.1s`);
    expect(server.queue(queueName('runAttempt'))).toEqual({
      name: queueName('runAttempt'),
      state: 'RUNNING',
      rateLimits: { maxDispatchesPerSecond: 500, maxConcurrentDispatches: 100, maxBurstSize: 100 },
      retryConfig: { maxAttempts: 200, minBackoff: '1s', maxBackoff: '15s', maxDoublings: 4 },
    });
    expect(server.queue(queueName('watchdogTick'))).toMatchObject({
      rateLimits: { maxDispatchesPerSecond: 500, maxConcurrentDispatches: 1000 },
      retryConfig: { maxAttempts: 1, minBackoff: '0.100s', maxBackoff: '3600s', maxDoublings: 16 },
    });
    expect(server.count('createQueue')).toBe(2);
    expect(server.count('updateQueue')).toBe(0);
  });

  it('honours --location', async () => {
    const run = await provision('--location', 'europe-west1');
    expect(run.code).toBe(0);
    expect(server.queue(queueName('runAttempt', 'europe-west1'))).toBeDefined();
    expect(server.queue(queueName('runAttempt'))).toBeUndefined();
  });

  it('is idempotent: a second run reads and changes nothing', async () => {
    await provision();
    const writes = server.count('createQueue') + server.count('updateQueue');
    const run = await provision();
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`[queues] runAttempt in ${PROJECT}/${LOCATION} is up to date\n[queues] watchdogTick in ${PROJECT}/${LOCATION} is up to date\n`);
    expect(server.count('createQueue') + server.count('updateQueue')).toBe(writes);
  });

  it('puts back a setting changed by hand, with an update mask naming only that field', async () => {
    await provision();
    server.editQueue(queueName('runAttempt'), (queue) => { (queue.rateLimits as Record<string, unknown>).maxConcurrentDispatches = 50; });
    const before = server.queue(queueName('runAttempt'));
    const run = await provision();
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`[queues] updated runAttempt in ${PROJECT}/${LOCATION}: rate_limits.max_concurrent_dispatches 50 -> 100\n`);
    expect(run.stdout).toContain('[queues] watchdogTick in vidgen-test/us-central1 is up to date');
    expect(server.calls.filter((call) => call.method === 'updateQueue')).toEqual([
      { method: 'updateQueue', queue: queueName('runAttempt'), updateMask: ['rate_limits.max_concurrent_dispatches'] },
    ]);
    expect(server.queue(queueName('runAttempt'))).toEqual({ ...before, rateLimits: { ...(before?.rateLimits as object), maxConcurrentDispatches: 100 } });
  });

  it('a queue created by someone else between its read and its creation is compared and updated instead', async () => {
    await provision();
    server.editQueue(queueName('runAttempt'), (queue) => { (queue.retryConfig as Record<string, unknown>).maxBackoff = '30s'; });
    server.failCalls('getQueue', 'runAttempt', { status: 'NOT_FOUND', message: 'Queue does not exist.', times: 1 });
    const run = await provision();
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('[queues] updated runAttempt in vidgen-test/us-central1: retry_config.max_backoff 30s -> 15s\n');
    expect(server.calls.filter((call) => call.queue === queueName('runAttempt')).slice(-4).map((call) => call.method)).toEqual(['getQueue', 'createQueue', 'getQueue', 'updateQueue']);
    expect(server.queue(queueName('runAttempt'))).toMatchObject({ retryConfig: { maxBackoff: '15s' } });
  });

  it('--dry-run prints what it would do and writes nothing', async () => {
    const empty = await provision('--dry-run');
    expect(empty.code).toBe(0);
    expect(empty.stdout).toContain(`# Cloud Tasks queues for ${PROJECT} in ${LOCATION} (dry run: nothing is changed)`);
    expect(empty.stdout).toContain(`[queues] would create runAttempt in ${PROJECT}/${LOCATION}: maxAttempts=200`);
    expect(empty.stdout).toContain(`[queues] would create watchdogTick in ${PROJECT}/${LOCATION}: maxAttempts=1`);
    expect(server.queue(queueName('runAttempt'))).toBeUndefined();

    await provision();
    server.editQueue(queueName('watchdogTick'), (queue) => { (queue.retryConfig as Record<string, unknown>).maxAttempts = 5; });
    const changed = await provision('--dry-run');
    expect(changed.stdout).toContain(`[queues] would update watchdogTick in ${PROJECT}/${LOCATION}: retry_config.max_attempts 5 -> 1`);
    expect(server.count('updateQueue')).toBe(0);
    expect(server.count('createQueue')).toBe(2);
    expect(server.queue(queueName('watchdogTick'))).toMatchObject({ retryConfig: { maxAttempts: 5 } });
  });

  it('status prints state, rate limits, retry settings, depth and the oldest task', async () => {
    await provision();
    const client = createTasksClient({ apiUrl: server.url });
    try {
      const later = { seconds: Math.floor(Date.now() / 1000) + 3600 };
      for (let i = 0; i < 3; i++) {
        await client.createTask({ parent: queueName('runAttempt'), task: { scheduleTime: later, httpRequest: { url: 'http://127.0.0.1:9/never', body: Buffer.from(`{"i":${i}}`) } } });
      }
    } finally {
      await client.close();
    }
    const run = await queues('status', '--project', PROJECT);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines.slice(0, 5)).toEqual([
      `runAttempt (${queueName('runAttempt')})`,
      '  state  RUNNING',
      '  rate   maxDispatchesPerSecond=500 maxBurstSize=100 maxConcurrentDispatches=100',
      '  retry  maxAttempts=200 minBackoff=1s maxBackoff=15s maxDoublings=4 maxRetryDuration=0s',
      expect.stringMatching(/^ {2}tasks {2}3, oldest created \d+s ago$/),
    ]);
    expect(lines).toContain('  tasks  0');
    expect(server.count('listTasks')).toBe(2);
  });

  it('status of a queue that does not exist names it and exits 1', async () => {
    const run = await queues('status', '--project', PROJECT);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`[queues] ERROR: runAttempt: not found in ${PROJECT}/${LOCATION} (create it with: npm run queues -- provision --project ${PROJECT} --location ${LOCATION})\n`);
    expect(run.stderr).toContain('[queues] ERROR: watchdogTick: not found');
  });

  it('an API error fails that queue naming it, exits 1, and still provisions the other', async () => {
    server.failCalls('getQueue', 'runAttempt', { status: 'PERMISSION_DENIED', message: 'The principal lacks cloudtasks.queues.get' });
    const run = await provision();
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('[queues] ERROR: runAttempt: getQueue failed: 7 PERMISSION_DENIED: The principal lacks cloudtasks.queues.get\n');
    expect(run.stdout).toContain('[queues] created watchdogTick');
    expect(server.queue(queueName('runAttempt'))).toBeUndefined();
  });

  it('bad flags exit 2 with a message and call nothing', async () => {
    const cases: [string[], string][] = [
      [['provision', '--projct', PROJECT], "Unknown option '--projct'"],
      [['provision'], '--project is required'],
      [['deploy', '--project', PROJECT], "unknown command 'deploy'"],
      [['--project', PROJECT], 'a command is required'],
      [['provision', '--project', 'Bad_Id'], "--project: 'Bad_Id' is not a project id"],
      [['provision', '--project', 'demo-vidgen'], "--project: 'demo-vidgen' is an emulator-only demo project"],
      [['provision', '--project', PROJECT, '--location', 'moon'], "--location: 'moon' is not a region"],
      [['status', '--project', PROJECT, '--dry-run'], '--dry-run applies to provision only'],
    ];
    for (const [args, message] of cases) {
      const run = await queues(...args);
      expect({ args, code: run.code, stdout: run.stdout }).toEqual({ args, code: 2, stdout: '' });
      expect(run.stderr).toContain(`[queues] ERROR: ${message}`);
    }
    expect(server.calls).toEqual([]);
  });

  it('runs as a command: npm run queues -- provision, and exit code 2 for a bad flag', async () => {
    const command = (args: string[]) => runCommand(join(ROOT, 'node_modules', '.bin', 'tsx'), [join(ROOT, 'scripts', 'queues.ts'), ...args], {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      CLOUD_TASKS_API_URL: server.url,
    });
    const ok = await command(['provision', '--project', PROJECT]);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('[queues] created runAttempt');
    const bad = await command(['provision', '--project', PROJECT, '--dry-run=yes']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('[queues] ERROR:');
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.queues).toBe('tsx scripts/queues.ts');
  }, 30_000);
});

/** How a call failed: the HTTP status (google-gax keeps it from the REST answer) and the gRPC code. */
async function failure(call: Promise<unknown>): Promise<{ http: unknown; code: number | undefined }> {
  const error = await call.then(() => { throw new Error('the call succeeded'); }, (reason: unknown) => reason);
  return { http: (error as { httpStatusCode?: unknown }).httpStatusCode, code: apiError(error).code };
}

describe('local Cloud Tasks server', () => {
  let server: CloudTasksServer;
  let receiver: Server;
  let received: { method?: string; url?: string; headers: IncomingHttpHeaders; body: Buffer }[];
  beforeEach(async () => {
    server = await CloudTasksServer.start();
    received = [];
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks) });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  });
  afterEach(async () => {
    await server.close();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  });

  it('dispatches an HTTP task created with the real client to its URL once, with its headers and body', async () => {
    const client = createTasksClient({ apiUrl: server.url });
    try {
      const parent = queueName('runAttempt');
      await client.createQueue({ parent: `projects/${PROJECT}/locations/${LOCATION}`, queue: { name: parent } });
      const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/v1/attempts`;
      const body = Buffer.from(JSON.stringify({ jobId: 'job-1', attempt: 0 }));
      const name = `${parent}/tasks/job-1-0`;
      const [task] = await client.createTask({
        parent,
        task: { name, httpRequest: { url, httpMethod: 'POST', headers: { 'Content-Type': 'application/json', 'X-Vidgen-Signature': 'sha256=abc' }, body } },
      });
      expect(task.name).toBe(name);
      expect(task.httpRequest?.httpMethod).toBe('POST');

      const dispatch = await server.dispatched(name);
      expect(dispatch.status).toBe(204);
      expect(received).toHaveLength(1);
      expect(received[0]).toMatchObject({ method: 'POST', url: '/v1/attempts', body });
      expect(received[0]?.headers).toMatchObject({
        'content-type': 'application/json',
        'x-vidgen-signature': 'sha256=abc',
        'x-cloudtasks-queuename': 'runAttempt',
        'x-cloudtasks-taskname': 'job-1-0',
        'x-cloudtasks-taskretrycount': '0',
      });
      // Delivered, so gone from the queue; and its name stays taken (Cloud Tasks de-duplicates on it).
      const [left] = await client.listTasks({ parent }, { autoPaginate: false });
      expect(left).toEqual([]);
      expect(await failure(client.createTask({ parent, task: { name, httpRequest: { url } } }))).toEqual({ http: 409, code: 6 });
      expect(received).toHaveLength(1);
    } finally {
      await client.close();
    }
  });

  it('answers in Google\'s error shape: NOT_FOUND, ALREADY_EXISTS, INVALID_ARGUMENT, UNAUTHENTICATED', async () => {
    const client = createTasksClient({ apiUrl: server.url });
    const stranger = createTasksClient({ apiUrl: server.url, accessToken: 'someone-else' });
    try {
      const parent = `projects/${PROJECT}/locations/${LOCATION}`;
      expect(await failure(client.getQueue({ name: `${parent}/queues/missing` }))).toEqual({ http: 404, code: 5 });
      await client.createQueue({ parent, queue: { name: `${parent}/queues/q1` } });
      expect(await failure(client.createQueue({ parent, queue: { name: `${parent}/queues/q1` } }))).toEqual({ http: 409, code: 6 });
      expect(await failure(client.createQueue({ parent, queue: { name: `${parent}/queues/bad_name` } }))).toEqual({ http: 400, code: 3 });
      expect(await failure(client.updateQueue({ queue: { name: `${parent}/queues/q1` }, updateMask: { paths: ['rate_limits.max_burst_size'] } }))).toEqual({ http: 400, code: 3 });
      expect(await failure(stranger.getQueue({ name: `${parent}/queues/q1` }))).toEqual({ http: 401, code: 16 });

      const response = await fetch(`${server.url}/v2/${parent}/queues/missing`, { headers: { Authorization: `Bearer ${server.accessToken}` } });
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({ error: { code: 404, status: 'NOT_FOUND', message: expect.stringContaining('Queue does not exist') } });
    } finally {
      await client.close();
      await stranger.close();
    }
  });

  it('pages listTasks', async () => {
    const client = createTasksClient({ apiUrl: server.url });
    try {
      const parent = queueName('paged');
      await client.createQueue({ parent: `projects/${PROJECT}/locations/${LOCATION}`, queue: { name: parent } });
      const later = { seconds: Math.floor(Date.now() / 1000) + 3600 };
      for (let i = 0; i < 5; i++) await client.createTask({ parent, task: { scheduleTime: later, httpRequest: { url: 'http://127.0.0.1:9/' } } });
      const [page, next] = await client.listTasks({ parent, pageSize: 2 }, { autoPaginate: false });
      expect(page).toHaveLength(2);
      expect(next?.pageToken).toBeTruthy();
      const all = [];
      for await (const task of client.listTasksAsync({ parent, pageSize: 2 })) all.push(task.name);
      expect(new Set(all).size).toBe(5);
      expect(server.count('listTasks')).toBe(4);
      expect(server.dispatches).toEqual([]);
    } finally {
      await client.close();
    }
  });
});
