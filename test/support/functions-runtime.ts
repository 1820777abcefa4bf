import { readdirSync, readFileSync } from 'node:fs';
import { stackState } from './stack-state';

/**
 * The pids of this test stack's Functions emulator runtimes: the `functionsEmulatorRuntime` node
 * processes whose environment points the Gemini API client at this stack's Veo simulator port, so
 * that stacks at other port offsets on the same machine are never touched.
 */
export function functionRuntimePids(): number[] {
  const marker = `GEMINI_API_BASE_URL=http://127.0.0.1:${stackState().ports.veo}`;
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (!readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('functionsEmulatorRuntime')) continue;
      if (readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0').includes(marker)) pids.push(Number(entry));
    } catch {
      // A process that ended, or one of another user: not ours.
    }
  }
  return pids;
}

/** Kills this stack's function runtimes at once (SIGKILL), as a lost task invocation dies. */
export function killFunctionRuntimes(): number[] {
  const pids = functionRuntimePids();
  for (const pid of pids) process.kill(pid, 'SIGKILL');
  return pids;
}
