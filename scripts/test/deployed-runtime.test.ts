import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEPLOYED_NODE_MAJOR, stackNode } from '../stack/node-runtime';

const ROOT = join(__dirname, '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const json = <T>(path: string) => JSON.parse(read(path)) as T;

describe('one Node.js major, deployed and tested', () => {
  it('is the functions runtime firebase deploy asks for, their engines and their bundle target', () => {
    const firebase = json<{ functions: Array<{ runtime: string }> }>('firebase.json');
    expect(firebase.functions.map((f) => f.runtime)).toEqual([`nodejs${DEPLOYED_NODE_MAJOR}`]);
    expect(json<{ engines: { node: string } }>('functions/package.json').engines.node).toBe(String(DEPLOYED_NODE_MAJOR));
    expect(read('functions/build.mjs')).toContain(`target: 'node${DEPLOYED_NODE_MAJOR}'`);
  });

  it('is the worker image\'s Node and the binary package.json pins for the local stack', () => {
    const pins = json<{ optionalDependencies: Record<string, string> }>('package.json').optionalDependencies;
    const versions = Object.entries(pins).filter(([name]) => /^node-linux-/.test(name)).map(([, version]) => version);
    expect(versions.length).toBeGreaterThan(0);
    for (const version of versions) expect(version.split('.')[0]).toBe(String(DEPLOYED_NODE_MAJOR));
    expect(read('gpu-worker/Dockerfile')).toContain(`ARG NODE_VERSION=${versions[0]}`);
    expect(json<{ engines: { node: string } }>('gpu-worker/package.json').engines.node).toBe(`>=${DEPLOYED_NODE_MAJOR}`);
  });

  it('is what the local stack finds to run its processes on', () => {
    expect(stackNode()).toMatch(/node/);
  });
});
