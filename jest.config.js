/**
 * Two layers: `unit` needs only a Firestore emulator, which its global setup starts on a free port
 * (test/support/unit-firestore.ts); `stack` runs against the local stack (emulators, workers, ComfyUI simulator), which its global setup starts. */
const transform = { '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }] };
const moduleNameMapper = {
  '^@vidgen/contract$': '<rootDir>/packages/contract/src/index.ts',
  '^@vidgen/contract/admin$': '<rootDir>/packages/contract/src/admin/index.ts',
  '^@vidgen/media$': '<rootDir>/packages/media/src/index.ts',
  '^@vidgen/runner$': '<rootDir>/packages/runner/src/index.ts',
  '^@vidgen/client$': '<rootDir>/packages/client/src/index.ts',
  '^@vidgen/sim-kit$': '<rootDir>/packages/sim-kit/src/index.ts',
  '^@vidgen/runpod$': '<rootDir>/packages/runpod/src/index.ts',
};
const common = { transform, moduleNameMapper, testEnvironment: 'node', moduleFileExtensions: ['ts', 'js', 'json'] };

module.exports = {
  // A global option (jest ignores it in a project): many tests start a process or use an emulator, and
  // jest's 5 s default failed them on a busy 2-core machine. Files that need more say so themselves.
  testTimeout: 20_000,
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/{packages/*,functions,gpu-worker,comfyui-sim,provider-sims,storage-sim,scripts}/test/**/*.test.ts'],
      globalSetup: '<rootDir>/test/support/unit-firestore-setup.ts',
      globalTeardown: '<rootDir>/test/support/unit-firestore-teardown.ts',
    },
    {
      ...common,
      displayName: 'stack',
      testMatch: ['<rootDir>/test/{integration,e2e}/**/*.test.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
      setupFilesAfterEnv: ['<rootDir>/test/support/close-admin.ts'],
    },
  ],
};
