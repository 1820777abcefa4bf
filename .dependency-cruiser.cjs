/**
 * The architecture's rules, which `npm test` checks over the whole tree with dependency-cruiser
 * (`npx depcruise --config .dependency-cruiser.cjs .`). Workspace packages resolve to their sources
 * (tsconfig.dependency-rules.json), so the rules name folders and hold without a build.
 */

/** Product code: what deploys (the functions bundle, the worker image) and what web apps import. */
const PRODUCT = '^(packages/(contract|media|runner|client|runpod)|functions|gpu-worker)/src/';
/** Simulators, stand-ins, tests and tooling: never part of the product. */
const NOT_PRODUCT = '^(comfyui-sim|provider-sims|storage-sim|packages/sim-kit|test|scripts)/|(^|/)test/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'contract-imports-nothing-of-ours',
      comment: 'The job contract is the source of truth every part builds on; it depends on no other part.',
      severity: 'error',
      from: { path: '^packages/contract/src/' },
      to: { path: '^(packages/(?!contract/)[^/]+|functions|gpu-worker|comfyui-sim|provider-sims|storage-sim|scripts|test|demo)/' },
    },
    {
      name: 'product-imports-no-stand-in',
      comment: 'Product code never imports a simulator, a stand-in, a test or a script: they are not deployed.',
      severity: 'error',
      from: { path: PRODUCT },
      to: { path: NOT_PRODUCT },
    },
    {
      name: 'functions-do-not-import-the-worker',
      comment: 'The functions and the GPU worker deploy apart and share code only through packages/.',
      severity: 'error',
      from: { path: '^functions/' },
      to: { path: '^gpu-worker/' },
    },
    {
      name: 'worker-does-not-import-the-functions',
      comment: 'The functions and the GPU worker deploy apart and share code only through packages/.',
      severity: 'error',
      from: { path: '^gpu-worker/' },
      to: { path: '^functions/' },
    },
    {
      name: 'comfy-client-knows-no-jobs',
      comment:
        'The ComfyUI client speaks ComfyUI only: it throws ComfyError, which the worker maps to job errors where it ' +
        'runs an attempt (gpu-worker/src/attempts/comfy-failures.ts). The workflows, which turn a tier\'s parameters ' +
        'into ComfyUI graphs, are the one bridge and may read the contract\'s tier defaults; the rest may name its ' +
        'types, and imports nothing of the contract, the runner or the attempts at run time.',
      severity: 'error',
      from: { path: '^gpu-worker/src/comfy/', pathNot: '^gpu-worker/src/comfy/workflows\\.ts$' },
      to: { path: '^(packages/(contract|runner)|gpu-worker/src/attempts)/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'no-circular',
      comment: 'A cycle makes load order matter and the parts impossible to change one at a time.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-unresolvable',
      comment: 'An import the check cannot resolve is one the rules cannot see (a new workspace package needs its line in tsconfig.dependency-rules.json).',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // Sources only: installed packages, build outputs and the stack's state are not ours to check.
    exclude: { path: ['(^|/)node_modules/', '(^|/)(dist|lib|dist-types|coverage)/', '^\\.[^./]', '^demo/public/', '^test-artifacts/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.dependency-rules.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['types', 'import', 'require', 'node', 'default'], mainFields: ['types', 'main'] },
    skipAnalysisNotInRules: true,
  },
};
