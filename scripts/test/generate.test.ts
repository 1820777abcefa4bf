import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FunctionsError } from 'firebase/functions';
import { createJob, type AttemptRecord, type Job } from '@vidgen/contract';
import { downloadVideo } from '../generate/download';
import { CliError, EXIT, explainError } from '../generate/errors';
import { attemptLine, formatSeconds, progressFields, progressLine, summaryLines } from '../generate/format';
import { parseOptions } from '../generate/options';

const STATE = '/repo/.stack/stack.json';

describe('parseOptions', () => {
  it('reads the prompt and every flag; numbers as numbers, the rest as given (the server judges values)', () => {
    expect(parseOptions(['a red fox in snow', '--model', 'svd', '--image', 'fox.png', '--out', 'fox.mp4', '--aspect', '9:16', '--duration', '200', '--seed', '7', '--negative', 'blur'], STATE)).toEqual({
      prompt: 'a red fox in snow', model: 'svd', image: 'fox.png', out: 'fox.mp4', aspectRatio: '9:16', durationSeconds: 200, seed: 7, negativePrompt: 'blur',
      target: { kind: 'stack', stateFile: STATE },
    });
  });

  it('defaults to model auto against the local stack', () => {
    expect(parseOptions(['a fox'], STATE)).toMatchObject({ model: 'auto', image: null, out: null, durationSeconds: null, seed: null, target: { kind: 'stack', stateFile: STATE } });
    expect(parseOptions(['a fox', '--stack-state', 'other.json'], STATE)?.target).toEqual({ kind: 'stack', stateFile: 'other.json' });
    expect(parseOptions(['a fox', '--project-config', 'web.json'], STATE, {})?.target).toEqual({ kind: 'project', configFile: 'web.json', appCheckDebugToken: null });
  });

  it('takes an App Check debug token for a real project, from the flag or APP_CHECK_DEBUG_TOKEN', () => {
    const token = '4a2f8e1c-0000-4000-8000-000000000000';
    expect(parseOptions(['a fox', '--project-config', 'web.json', '--app-check-debug-token', token], STATE, {})?.target).toEqual({ kind: 'project', configFile: 'web.json', appCheckDebugToken: token });
    expect(parseOptions(['a fox', '--project-config', 'web.json'], STATE, { APP_CHECK_DEBUG_TOKEN: token })?.target).toMatchObject({ appCheckDebugToken: token });
    expect(parseOptions(['--help'], STATE)).toBeNull();
  });

  it.each([
    [[], /Give the prompt/],
    [['a fox', '--duration', 'four'], /--duration must be a number/],
    [['a fox', '--seed', ''], /--seed must be a number/],
    [['a fox', '--colour', 'red'], /Unknown option '--colour'/],
    [['a fox', '--stack-state', 'a.json', '--project-config', 'b.json'], /either --stack-state or --project-config/],
    [['a fox', '--app-check-debug-token', 't'], /--app-check-debug-token is for a real project/],
  ])('refuses %j as a usage error (exit 2)', (argv, message) => {
    let error: unknown;
    try {
      parseOptions(argv, STATE);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(EXIT.usage);
    expect((error as CliError).message).toMatch(message);
  });
});

describe('what the CLI prints', () => {
  const now = new Date('2026-11-01T00:00:00Z');
  const base: Job = createJob({ ownerUid: 'u', request: { prompt: 'p', model: 'animatediff' }, plan: ['animatediff'], now }).job;
  const record: AttemptRecord = {
    index: 0, tier: 'veo', backend: 'gemini', workerId: 'functions:gemini', startedAt: now, endedAt: new Date(now.getTime() + 2100),
    outcome: 'failed', error: { code: 'safety_filtered', message: 'Withheld.', retryable: false }, costUsd: 0, providerJobId: null, costKnown: true,
  };

  it('a progress line: percent, stage, step/total, tier/backend, ETA', () => {
    const running: Job = {
      ...base,
      state: 'running',
      attempt: { index: 0, tier: 'animatediff', backend: 'comfyui', state: 'running', workerId: 'w1', leaseToken: 't', leaseExpiresAt: now, providerJobId: null, dispatchCount: 1, createdAt: now, startedAt: now, costUsd: 0, usdPerHour: 0.44 },
      progress: { percent: 42.5, stage: 'sampling', step: 8, totalSteps: 20, etaSeconds: 75, updatedAt: now },
    };
    expect(progressLine(progressFields(running))).toBe('[ 42%] sampling 8/20 · animatediff on comfyui · ETA 1m15s');
    expect(progressLine(progressFields(base))).toBe('[  0%] queued · animatediff on comfyui · ETA ?');
    expect(progressLine(progressFields({ ...base, attempt: null }))).toBe('[  0%] queued · ETA ?');
    const loading: Job = { ...running, progress: { ...running.progress, stage: 'loading_models', step: null, totalSteps: null, etaSeconds: null } };
    expect(progressLine(progressFields(loading))).toBe('[ 42%] loading models · animatediff on comfyui · ETA ?');
  });

  it('an attempt line with its outcome and, when it failed, the error', () => {
    expect(attemptLine(record)).toBe('Attempt 1: veo on gemini (functions:gemini) failed in 2.1 s, $0.0000: safety_filtered: Withheld.');
    expect(attemptLine({ ...record, index: 1, outcome: 'succeeded', error: null, costUsd: 0.00049, workerId: null })).toBe('Attempt 2: veo on gemini succeeded in 2.1 s, $0.0005');
  });

  it('the summary: path, size, resolution, duration, cost', () => {
    const output = { storagePath: 's', downloadUrl: 'u', mimeType: 'video/mp4' as const, width: 512, height: 512, frameCount: 24, fps: 8, durationSeconds: 3, sizeBytes: 325_000, posterPath: 'p', posterUrl: 'q', expiresAt: null };
    expect(summaryLines('/tmp/fox.mp4', 325_000, output, 0.00123)).toEqual(['Saved /tmp/fox.mp4', '  317.4 KiB, 512x512, 3 s (24 frames at 8 fps)', '  Cost: $0.0012']);
    expect(formatSeconds(9.4)).toBe('9s');
  });
});

describe('explainError', () => {
  it.each([
    ['invalid-argument', new FunctionsError('invalid-argument', 'durationSeconds: animatediff makes 1-4 s, not 8 s'), true, 'The request was refused (invalid-argument): durationSeconds: animatediff makes 1-4 s, not 8 s'],
    ['resource-exhausted', new FunctionsError('resource-exhausted', 'You already have 5 videos in progress'), false, 'Too many videos in progress (resource-exhausted): You already have 5 videos in progress'],
    ['App Check refused by a project', new FunctionsError('unauthenticated', 'This app must send an App Check token (App Check is enforced).'), false, /App Check is enforced\)\. Pass --app-check-debug-token/],
    ['an unreachable Auth emulator', Object.assign(new Error('Firebase: Error (auth/network-request-failed).'), { code: 'auth/network-request-failed' }), true, 'Could not reach the Auth emulator of the local stack: is npm start running?'],
    ['anonymous sign-in disabled', Object.assign(new Error('Firebase: Error (auth/admin-restricted-operation).'), { code: 'auth/admin-restricted-operation' }), false, /Anonymous sign-in is not enabled/],
    ['a refused upload', Object.assign(new Error('Firebase Storage: User does not have permission (storage/unauthorized)'), { code: 'storage/unauthorized' }), true, /Storage rules refused the image/],
    ['a refused connection', new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) }), true, /is npm start running\?/],
  ])('explains %s', (_label, error, local, expected) => {
    const explained = explainError(error, local);
    expect(explained.exitCode).toBe(EXIT.failed);
    if (typeof expected === 'string') expect(explained.message).toBe(expected);
    else expect(explained.message).toMatch(expected);
  });
});

describe('downloadVideo', () => {
  let server: Server;
  let base: string;
  const dir = mkdtempSync(join(tmpdir(), 'vidgen-download-'));
  beforeAll(async () => {
    server = createServer((request, response) => {
      if (request.url === '/video.mp4') response.writeHead(200, { 'content-type': 'video/mp4' }).end(Buffer.from('mp4 bytes'));
      else response.writeHead(404).end('Not Found');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('saves the video, creating the folder, and resolves with its size', async () => {
    const file = join(dir, 'nested', 'fox.mp4');
    expect(await downloadVideo(`${base}/video.mp4`, file, new AbortController().signal)).toBe(9);
    expect(readFileSync(file, 'utf8')).toBe('mp4 bytes');
  });

  it('fails with the HTTP status, or the connection error, and leaves no file behind', async () => {
    await expect(downloadVideo(`${base}/gone.mp4`, join(dir, 'gone.mp4'), new AbortController().signal)).rejects.toThrow(/Could not download the video from .*gone\.mp4: HTTP 404/);
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(downloadVideo(`http://127.0.0.1:${port}/x.mp4`, join(dir, 'refused.mp4'), new AbortController().signal)).rejects.toThrow(/Could not download the video to .*refused\.mp4: ECONNREFUSED/);
    expect(existsSync(join(dir, 'gone.mp4'))).toBe(false);
    expect(readdirSync(dir).filter((name) => name.endsWith('.partial'))).toEqual([]);
  });
});
