import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** The folder a simulator writes its videos to, and how to clean it up. */
export interface DataDir {
  root: string;
  dispose(): Promise<void>;
}

/** Creates `dataDir` (kept on dispose), or a new temporary folder (removed on dispose). */
export async function prepareDataDir(dataDir: string | undefined, prefix: string): Promise<DataDir> {
  if (dataDir !== undefined) {
    const root = path.resolve(dataDir);
    await mkdir(root, { recursive: true });
    return { root, dispose: async () => undefined };
  }
  const root = await mkdtemp(path.join(tmpdir(), `${prefix}-`));
  return { root, dispose: () => rm(root, { recursive: true, force: true }) };
}
