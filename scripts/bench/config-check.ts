import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../stack/stack';
import { BENCH_OPTIONS } from './bench-stack';

/**
 * The functions emulator loads `functions/.env.local` after `.env.<project>`, so a key there beats
 * what startStack writes for the bench's project. Lists the bench settings it overrides.
 */
export function emulatorEnvOverrides(): string[] {
  const file = join(ROOT, 'functions', '.env.local');
  if (!existsSync(file)) return [];
  const wanted: Record<string, string> = {
    BACKEND_POLICY: BENCH_OPTIONS.backendPolicy ?? 'prefer-comfyui',
    MAX_ACTIVE_JOBS_PER_USER: String(BENCH_OPTIONS.maxActiveJobsPerUser),
    WORKER_WAIT_SECONDS: String(BENCH_OPTIONS.timing.workerWaitSeconds),
  };
  const overrides: string[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const match = /^\s*([A-Z0-9_]+)\s*=\s*"?([^"]*)"?\s*$/.exec(line);
    if (!match) continue;
    const [, key, value] = match as unknown as [string, string, string];
    const expected = wanted[key];
    if (expected !== undefined && expected !== value) overrides.push(`${key}=${value} (the bench sets ${expected})`);
  }
  return overrides;
}
