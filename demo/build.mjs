// Bundles the demo page (demo/src) into demo/public/app.js, which the Hosting emulator serves.
import { build } from 'esbuild';

const root = new URL('../', import.meta.url).pathname;

/**
 * The job contract's HMAC helpers (server-side only) import node:crypto. The page never signs, so
 * that import resolves to a stub which tree-shaking then drops.
 */
const serverOnlyStub = {
  name: 'server-only-stub',
  setup(build) {
    build.onResolve({ filter: /^node:crypto$/ }, (args) => ({ path: args.path, namespace: 'server-only' }));
    build.onLoad({ filter: /.*/, namespace: 'server-only' }, () => ({
      contents: 'const serverOnly = () => { throw new Error("node:crypto is not available in the browser"); };\n'
        + 'export const createHmac = serverOnly;\nexport const timingSafeEqual = serverOnly;\n',
      loader: 'js',
    }));
  },
};

await build({
  absWorkingDir: root,
  entryPoints: ['demo/src/main.ts'],
  outfile: 'demo/public/app.js',
  bundle: true,
  platform: 'browser',
  format: 'esm',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  // The workspace packages as TypeScript sources (ES modules): one copy of the Firebase SDK, tree-shaken.
  alias: { '@vidgen/client': './packages/client/src/index.ts', '@vidgen/contract': './packages/contract/src/index.ts' },
  plugins: [serverOnlyStub],
  // ESLint lints every .js file; a bundle of third-party code is not ours to lint.
  logLevel: 'warning',
});
