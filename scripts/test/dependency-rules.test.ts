import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const DEPCRUISE = join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruiser.mjs');
/** What the rules need besides the sources: the rules themselves and the resolution they use. */
const CONFIG_FILES = ['.dependency-cruiser.cjs', 'tsconfig.dependency-rules.json', 'tsconfig.base.json'];

interface Violation { rule: string; from: string; to: string }

/** Runs the check as scripts/test.sh does (over the whole tree at `cwd`) and lists what it reports. */
function dependencyRules(cwd: string): Promise<Violation[]> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [DEPCRUISE, '--config', '.dependency-cruiser.cjs', '--output-type', 'json', '.'], { cwd, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      // It exits with the number of errors it found; a run that printed no result failed.
      if (!stdout.trim()) return reject(new Error(`dependency-cruiser failed: ${stderr || error?.message}`));
      const result = JSON.parse(stdout) as { summary: { violations: Array<{ rule: { name: string }; from: string; to: string }> } };
      resolve(result.summary.violations.map((v) => ({ rule: v.rule.name, from: v.from, to: v.to })));
    });
  });
}

/** A miniature of the repository: one legal import of each kind the rules allow, and one breach of each rule. */
const FIXTURE: Record<string, string> = {
  'packages/contract/src/index.ts': "export class JobError extends Error {}\nexport type Tier = 'svd';\n",
  'packages/contract/src/leaky.ts': "import { encode } from '../../media/src/index';\nexport const leaked = encode;\n",
  'packages/media/src/index.ts': "import { JobError } from '@vidgen/contract';\nexport const encode = () => new JobError();\n",
  'packages/media/src/ping.ts': "import { pong } from './pong';\nexport const ping = (): string => pong();\n",
  'packages/media/src/pong.ts': "import { ping } from './ping';\nexport const pong = (): string => ping();\n",
  'functions/src/index.ts': [
    "import { encode } from '@vidgen/media';",
    "import { createComfySimulator } from '../../comfyui-sim/src/simulator';",
    "import { runOnWorker } from '../../gpu-worker/src/run';",
    "import { gone } from './missing';",
    'export const all = [encode, createComfySimulator, runOnWorker, gone];',
  ].join('\n'),
  'functions/test/index.test.ts': "import { createComfySimulator } from '../../comfyui-sim/src/simulator';\nexport const sim = createComfySimulator;\n",
  'comfyui-sim/src/simulator.ts': 'export const createComfySimulator = (): void => undefined;\n',
  'gpu-worker/src/run.ts': "import { throwing } from './comfy/client';\nimport { encode } from '@vidgen/media';\nexport const runOnWorker = [throwing, encode];\n",
  'gpu-worker/src/comfy/client.ts': "import { JobError } from '@vidgen/contract';\nexport const throwing = (): never => { throw new JobError(); };\n",
  'gpu-worker/src/comfy/workflows.ts': "import type { Tier } from '@vidgen/contract';\nexport const tier: Tier = 'svd';\n",
};

describe('the dependency rules (.dependency-cruiser.cjs)', () => {
  let fixture: string;

  beforeAll(async () => {
    fixture = await mkdtemp(join(tmpdir(), 'dependency-rules-'));
    for (const name of CONFIG_FILES) await copyFile(join(ROOT, name), join(fixture, name));
    for (const [path, text] of Object.entries(FIXTURE)) {
      await mkdir(dirname(join(fixture, path)), { recursive: true });
      await writeFile(join(fixture, path), text);
    }
  });
  afterAll(() => rm(fixture, { recursive: true, force: true }));

  it('report each breach, and nothing the rules allow', async () => {
    const violations = await dependencyRules(fixture);
    const key = (v: Violation) => `${v.rule}: ${v.from} -> ${v.to}`;
    expect(violations.map(key).sort()).toEqual([
      'comfy-client-knows-no-jobs: gpu-worker/src/comfy/client.ts -> packages/contract/src/index.ts',
      'contract-imports-nothing-of-ours: packages/contract/src/leaky.ts -> packages/media/src/index.ts',
      'functions-do-not-import-the-worker: functions/src/index.ts -> gpu-worker/src/run.ts',
      'no-circular: packages/media/src/ping.ts -> packages/media/src/pong.ts',
      'no-unresolvable: functions/src/index.ts -> ./missing',
      'product-imports-no-stand-in: functions/src/index.ts -> comfyui-sim/src/simulator.ts',
    ]);
  });

  // The whole tree: several seconds of parsing, more on a busy machine.
  it('hold in this repository', async () => {
    expect(await dependencyRules(ROOT)).toEqual([]);
  }, 60_000);
});
