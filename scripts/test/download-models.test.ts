import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { runCommand, type Run } from './support/run-command';

const ROOT = join(__dirname, '..', '..');
const SCRIPT = join(ROOT, 'scripts', 'download-models.sh');
const MANIFEST = join(ROOT, 'scripts', 'models.json');

interface Seen { path: string; range: string | undefined; authorization: string | undefined }
interface Served { body: Buffer; ignoreRange?: boolean; dropAfter?: number }

/** A file server on 127.0.0.1 that honours `Range: bytes=N-` (unless told not to) and records every request. */
class FileServer {
  readonly files = new Map<string, Served>();
  readonly seen: Seen[] = [];
  private server: Server | null = null;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = req.url ?? '/';
    this.seen.push({ path, range: req.headers.range, authorization: req.headers.authorization });
    const file = this.files.get(path);
    if (!file) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const size = file.body.length;
    const match = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (!match || file.ignoreRange) {
      res.writeHead(200, { 'content-length': size, 'accept-ranges': file.ignoreRange ? 'none' : 'bytes' });
      if (file.dropAfter === undefined) {
        res.end(file.body);
      } else {
        // The connection breaks part-way, as a pod restart or a network fault would.
        res.write(file.body.subarray(0, file.dropAfter), () => res.destroy());
      }
      return;
    }
    const start = Number(match[1]);
    if (start >= size) {
      res.writeHead(416, { 'content-range': `bytes */${size}` }).end();
      return;
    }
    res.writeHead(206, { 'content-length': size - start, 'content-range': `bytes ${start}-${size - 1}/${size}`, 'accept-ranges': 'bytes' });
    res.end(file.body.subarray(start));
  }
}

interface Entry { id: string; file: string; folder: string; group: string; body: Buffer; sha256?: string | null; sizeBytes?: number | null; gated?: boolean; path?: string }

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');


/** Runs the script with a clean environment (no proxies, no HF_TOKEN unless given). */
function runScript(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return runCommand('bash', [SCRIPT, ...args], { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmpdir(), LANG: 'C', NO_PROXY: '*', ...env });
}

describe('scripts/download-models.sh', () => {
  const server = new FileServer();
  let work: string;
  let dest: string;

  beforeAll(() => server.start());
  afterAll(() => server.stop());
  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), 'vidgen-models-'));
    dest = join(work, 'models');
    server.files.clear();
    server.seen.length = 0;
  });
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  /** Serves the entries and writes a manifest for them; returns its path. */
  function manifest(entries: Entry[]): string {
    for (const entry of entries) server.files.set(`/${entry.path ?? entry.file}`, { body: entry.body });
    const models = entries.map((e) => ({
      id: e.id,
      file: e.file,
      folder: e.folder,
      group: e.group,
      url: `${server.url}/${e.path ?? e.file}`,
      sizeBytes: e.sizeBytes === undefined ? e.body.length : e.sizeBytes,
      sha256: e.sha256 === undefined ? sha256(e.body) : e.sha256,
      gated: e.gated ?? false,
    }));
    const file = join(work, 'models.json');
    writeFileSync(file, JSON.stringify({ models }));
    return file;
  }

  const seed = (): Entry[] => [
    { id: 'sd', file: 'base.safetensors', folder: 'checkpoints', group: 'animatediff', body: randomBytes(300_000) },
    { id: 'motion', file: 'motion.ckpt', folder: 'animatediff_models', group: 'animatediff', body: randomBytes(120_000) },
    { id: 'video', file: 'video.safetensors', folder: 'checkpoints', group: 'svd', body: randomBytes(200_000) },
    { id: 'vae', file: 'shared_vae.safetensors', folder: 'vae', group: 'common', body: randomBytes(50_000) },
  ];
  const target = (e: Entry) => join(dest, e.folder, e.file);

  it('downloads every file into its ComfyUI folder, verifies it and records the verified hash', async () => {
    const entries = seed();
    const run = await runScript(['--manifest', manifest(entries), '--dest', dest]);

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('all 4 in place and verified');
    for (const e of entries) {
      expect(readFileSync(target(e)).equals(e.body)).toBe(true);
      const [hash, size] = readFileSync(`${target(e)}.sha256`, 'utf8').trim().split(' ');
      expect({ hash, size: Number(size) }).toEqual({ hash: sha256(e.body), size: e.body.length });
      expect(existsSync(`${target(e)}.part`)).toBe(false);
    }
    expect(server.seen.map((s) => s.path).sort()).toEqual(entries.map((e) => `/${e.file}`).sort());
  });

  it('skips files already in place without a request, trusting the recorded hash while size and mtime hold', async () => {
    const entries = seed();
    const file = manifest(entries);
    expect((await runScript(['--manifest', file, '--dest', dest])).code).toBe(0);
    server.seen.length = 0;

    const again = await runScript(['--manifest', file, '--dest', dest]);
    expect(again.code).toBe(0);
    expect(server.seen).toEqual([]);
    expect(again.stdout).toContain(`ok       ${target(entries[0]!)} (verified)`);

    // Same size and mtime: the sidecar stands in for hashing, so even changed bytes are not re-read.
    const first = entries[0]!;
    const { mtime } = statSync(target(first));
    writeFileSync(target(first), randomBytes(first.body.length));
    utimesSync(target(first), mtime, mtime);
    expect((await runScript(['--manifest', file, '--dest', dest])).code).toBe(0);
    expect(server.seen).toEqual([]);

    // A new mtime makes it hash again, find the mismatch and fetch the file anew.
    const later = new Date(mtime.getTime() + 60_000);
    utimesSync(target(first), later, later);
    const rehash = await runScript(['--manifest', file, '--dest', dest]);
    expect(rehash.code).toBe(0);
    expect(rehash.stderr).toContain('replacing it');
    expect(server.seen.map((s) => s.path)).toEqual([`/${first.file}`]);
    expect(readFileSync(target(first)).equals(first.body)).toBe(true);
  });

  it('hashes a file that is present without a sidecar once, then records it', async () => {
    const [entry] = seed();
    const file = manifest([entry!]);
    mkdirSync(dirname(target(entry!)), { recursive: true });
    writeFileSync(target(entry!), entry!.body);

    const run = await runScript(['--manifest', file, '--dest', dest]);
    expect(run.code).toBe(0);
    expect(server.seen).toEqual([]);
    expect(readFileSync(`${target(entry!)}.sha256`, 'utf8')).toContain(sha256(entry!.body));
  });

  it('resumes a partial download from where it stopped', async () => {
    const [entry] = seed();
    const file = manifest([entry!]);
    mkdirSync(dirname(target(entry!)), { recursive: true });
    writeFileSync(`${target(entry!)}.part`, entry!.body.subarray(0, 100_000));

    const run = await runScript(['--manifest', file, '--dest', dest]);
    expect(run.code).toBe(0);
    expect(server.seen).toEqual([{ path: `/${entry!.file}`, range: 'bytes=100000-', authorization: undefined }]);
    expect(readFileSync(target(entry!)).equals(entry!.body)).toBe(true);
    expect(existsSync(`${target(entry!)}.part`)).toBe(false);
  });

  it('keeps what arrived when the connection breaks, and the next run finishes it', async () => {
    const [entry] = seed();
    const file = manifest([entry!]);
    server.files.set(`/${entry!.file}`, { body: entry!.body, dropAfter: 150_000 });

    const broken = await runScript(['--manifest', file, '--dest', dest]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain('sd: download failed (curl exit 18');
    expect(broken.stderr).toContain('run again to resume');
    expect(existsSync(target(entry!))).toBe(false);
    const kept = statSync(`${target(entry!)}.part`).size;
    expect(kept).toBeGreaterThan(0);

    server.files.set(`/${entry!.file}`, { body: entry!.body });
    server.seen.length = 0;
    const resumed = await runScript(['--manifest', file, '--dest', dest]);
    expect(resumed.code).toBe(0);
    expect(server.seen.map((s) => s.range)).toEqual([`bytes=${kept}-`]);
    expect(readFileSync(target(entry!)).equals(entry!.body)).toBe(true);
  });

  it('refuses to start a download the disk has no room for', async () => {
    const [entry] = seed();
    const run = await runScript(['--manifest', manifest([{ ...entry!, sizeBytes: 1e15 }]), '--dest', dest]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/sd: needs 1000\.00 TB more but .+ has .+ free/);
    expect(server.seen).toEqual([]);
  });

  it('verifies a complete partial download without fetching it again', async () => {
    const [entry] = seed();
    const file = manifest([entry!]);
    mkdirSync(dirname(target(entry!)), { recursive: true });
    writeFileSync(`${target(entry!)}.part`, entry!.body);

    const run = await runScript(['--manifest', file, '--dest', dest]);
    expect(run.code).toBe(0);
    expect(server.seen).toEqual([]);
    expect(readFileSync(target(entry!)).equals(entry!.body)).toBe(true);
  });

  it('starts over when the server cannot resume', async () => {
    const [entry] = seed();
    const file = manifest([entry!]);
    server.files.set(`/${entry!.file}`, { body: entry!.body, ignoreRange: true });
    mkdirSync(dirname(target(entry!)), { recursive: true });
    writeFileSync(`${target(entry!)}.part`, entry!.body.subarray(0, 100_000));

    const run = await runScript(['--manifest', file, '--dest', dest]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('cannot resume');
    expect(readFileSync(target(entry!)).equals(entry!.body)).toBe(true);
  });

  it('--only svd fetches the svd files and the common ones, nothing else', async () => {
    const entries = seed();
    const run = await runScript(['--only', 'svd', '--manifest', manifest(entries), '--dest', dest]);

    expect(run.code).toBe(0);
    expect(entries.filter((e) => existsSync(target(e))).map((e) => e.id)).toEqual(['video', 'vae']);
    expect(server.seen.map((s) => s.path).sort()).toEqual(['/shared_vae.safetensors', '/video.safetensors']);
  });

  it('refuses an unknown --only group', async () => {
    const run = await runScript(['--only', 'veo', '--manifest', manifest(seed()), '--dest', dest]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--only: unknown group 'veo'");
  });

  it('--dry-run prints what it would fetch, where and how big, and touches nothing', async () => {
    const entries = seed();
    const run = await runScript(['--dry-run', '--manifest', manifest(entries), '--dest', dest]);

    expect(run.code).toBe(0);
    expect(server.seen).toEqual([]);
    expect(existsSync(dest)).toBe(false);
    for (const e of entries) {
      expect(run.stdout).toContain(`${server.url}/${e.file}`);
      expect(run.stdout).toContain(`-> ${target(e)}  [missing]`);
    }
    expect(run.stdout).toContain('would fetch sd (300.00 KB, group animatediff)');
    expect(run.stdout).toContain('would fetch 4 of 4 file(s), 670.00 KB');
  });

  it('fails on a sha256 mismatch, says so, and leaves neither the file nor the partial download', async () => {
    const [entry] = seed();
    const wrong = sha256(Buffer.from('something else'));
    const run = await runScript(['--manifest', manifest([{ ...entry!, sha256: wrong }]), '--dest', dest]);

    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`sd: sha256 mismatch: expected ${wrong}, got ${sha256(entry!.body)}; removed the download`);
    expect(existsSync(target(entry!))).toBe(false);
    expect(existsSync(`${target(entry!)}.part`)).toBe(false);
    expect(existsSync(`${target(entry!)}.sha256`)).toBe(false);
  });

  it('fails on a size mismatch before hashing', async () => {
    const [entry] = seed();
    const run = await runScript(['--manifest', manifest([{ ...entry!, sizeBytes: 299_999 }]), '--dest', dest]);

    expect(run.code).toBe(1);
    expect(run.stderr).toContain('sd: downloaded 300000 bytes, expected 299999; removed the download');
    expect(existsSync(target(entry!))).toBe(false);
  });

  it('reports a 404 clearly, still fetches the other files, and exits non-zero', async () => {
    const entries = seed().slice(0, 2);
    const file = manifest(entries);
    server.files.delete(`/${entries[0]!.file}`);

    const run = await runScript(['--manifest', file, '--dest', dest]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`sd: download failed: HTTP 404: not found; check the URL in the manifest (${server.url}/base.safetensors)`);
    expect(run.stderr).toContain('1 of 2 failed: sd');
    expect(existsSync(target(entries[0]!))).toBe(false);
    expect(readdirSync(join(dest, 'checkpoints')).filter((name) => !name.startsWith('.'))).toEqual([]);
    expect(readFileSync(target(entries[1]!)).equals(entries[1]!.body)).toBe(true);
  });

  it('downloads a file the manifest has no sha256 for, but warns and never marks it verified', async () => {
    const [entry] = seed();
    const file = manifest([{ ...entry!, sha256: null, sizeBytes: null }]);
    const run = await runScript(['--manifest', file, '--dest', dest]);

    expect(run.code).toBe(0);
    expect(run.stderr).toContain('downloaded (300000 bytes) but NOT verified');
    expect(readFileSync(target(entry!)).equals(entry!.body)).toBe(true);
    expect(existsSync(`${target(entry!)}.sha256`)).toBe(false);

    const again = await runScript(['--manifest', file, '--dest', dest]);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('present but NOT verified');
    expect(existsSync(`${target(entry!)}.sha256`)).toBe(false);
  });

  it('sends HF_TOKEN as a bearer token to the allowed hosts only, and never prints it', async () => {
    const [entry] = seed();
    const file = manifest([{ ...entry!, gated: true }]);

    const allowed = await runScript(['--manifest', file, '--dest', dest], { HF_TOKEN: 'hf_secret_token', HF_TOKEN_HOSTS: '127.0.0.1' });
    expect(allowed.code).toBe(0);
    expect(server.seen.map((s) => s.authorization)).toEqual(['Bearer hf_secret_token']);
    expect(allowed.stdout + allowed.stderr).not.toContain('hf_secret_token');

    rmSync(dest, { recursive: true });
    server.seen.length = 0;
    const elsewhere = await runScript(['--manifest', file, '--dest', dest], { HF_TOKEN: 'hf_secret_token' });
    expect(elsewhere.code).toBe(0);
    expect(server.seen.map((s) => s.authorization)).toEqual([undefined]);
    expect(elsewhere.stderr).toContain('sd is gated on Hugging Face and HF_TOKEN is not set');
  });

  it('rejects a malformed manifest, naming the entry and the field', async () => {
    const [entry] = seed();
    const run = await runScript(['--manifest', manifest([{ ...entry!, sha256: 'abc' }]), '--dest', dest]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('models[0] (sd).sha256: 64 hex digits or null');
  });

  it('reads MODELS_DIR as the default destination', async () => {
    const [entry] = seed();
    const run = await runScript(['--manifest', manifest([entry!])], { MODELS_DIR: dest });
    expect(run.code).toBe(0);
    expect(existsSync(target(entry!))).toBe(true);
  });
});

describe('scripts/models.json', () => {
  interface Model { id: string; file: string; folder: string; group: string; url: string; sizeBytes: number | null; sha256: string | null; gated: boolean }
  const models = (JSON.parse(readFileSync(MANIFEST, 'utf8')) as { models: Model[] }).models;

  it('is accepted by the script', async () => {
    const run = await runScript(['--dry-run', '--dest', join(tmpdir(), 'vidgen-no-such-dir')]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`would fetch ${models.length} of ${models.length} file(s)`);
  });

  it('pins every file to a Hugging Face download with a lowercase sha256 or an explicit null', () => {
    for (const m of models) {
      expect(m.url).toMatch(/^https:\/\/huggingface\.co\/[^/]+\/[^/]+\/resolve\/[^/]+\//);
      expect(m.url.endsWith(`/${m.file}`)).toBe(true);
      expect(m.sha256 === null || /^[0-9a-f]{64}$/.test(m.sha256)).toBe(true);
      expect(m.sizeBytes === null || (Number.isSafeInteger(m.sizeBytes) && m.sizeBytes > 0)).toBe(true);
    }
  });

  it('has every model file the workflows load, in the loader\'s folder and the workflow\'s group', () => {
    const folderOf: Record<string, { input: string; folder: string }> = {
      CheckpointLoaderSimple: { input: 'ckpt_name', folder: 'checkpoints' },
      ImageOnlyCheckpointLoader: { input: 'ckpt_name', folder: 'checkpoints' },
      ADE_AnimateDiffLoaderGen1: { input: 'model_name', folder: 'animatediff_models' },
      ADE_LoadAnimateDiffModel: { input: 'model_name', folder: 'animatediff_models' },
      LoraLoader: { input: 'lora_name', folder: 'loras' },
      VAELoader: { input: 'vae_name', folder: 'vae' },
    };
    const dir = join(ROOT, 'gpu-worker', 'workflows');
    const workflows = readdirSync(dir).filter((name) => name.endsWith('.json') && !name.endsWith('.params.json'));
    expect(workflows.sort()).toEqual(['animatediff.json', 'svd.json']);
    let checked = 0;
    for (const name of workflows) {
      const tier = name.replace(/\.json$/, '');
      const graph = JSON.parse(readFileSync(join(dir, name), 'utf8')) as Record<string, { class_type: string; inputs: Record<string, unknown> }>;
      for (const node of Object.values(graph)) {
        const loader = folderOf[node.class_type];
        if (!loader) continue;
        const file = node.inputs[loader.input];
        const model = models.find((m) => m.file === file);
        expect({ tier, file, folder: model?.folder, inGroup: model ? [tier, 'common'].includes(model.group) : false })
          .toEqual({ tier, file, folder: loader.folder, inGroup: true });
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(4);
  });
});
