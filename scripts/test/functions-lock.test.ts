import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const json = <T>(path: string) => JSON.parse(readFileSync(join(ROOT, path), 'utf8')) as T;

interface Lock { packages: Record<string, { version?: string; dependencies?: Record<string, string> }> }

describe('functions/package-lock.json, what the cloud build installs', () => {
  const manifest = json<{ dependencies: Record<string, string> }>('functions/package.json');
  const lock = json<Lock>('functions/package-lock.json');
  const workspaceLock = json<Lock>('package-lock.json');

  it('locks exactly the dependencies functions/package.json declares (else: npm run lock:functions)', () => {
    expect(lock.packages['']?.dependencies).toEqual(manifest.dependencies);
  });

  it('resolves each of them to the version the tests run against', () => {
    const installed = (entries: Lock['packages'], name: string) =>
      entries[`node_modules/${name}`]?.version ?? entries[`functions/node_modules/${name}`]?.version;
    for (const name of Object.keys(manifest.dependencies)) {
      expect({ name, deployed: installed(lock.packages, name) }).toEqual({ name, deployed: installed(workspaceLock.packages, name) });
    }
  });
});
