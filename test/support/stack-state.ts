import { readFileSync } from 'node:fs';
import type { StackState } from '../../scripts/stack/stack';
import { emulatorEnv, LOCAL_SECRETS } from '../../scripts/stack/stack';

/** What the test stack's global setup started: ports, workers and their pids (updated on restarts). */
export function stackState(): StackState {
  const file = process.env.VIDGEN_STACK_STATE;
  if (!file) throw new Error('VIDGEN_STACK_STATE is not set: run these tests through the stack project (jest --selectProjects stack)');
  const state = JSON.parse(readFileSync(file, 'utf8')) as StackState;
  if (state.down) throw new Error(`The test stack is down: ${state.down} (the console and ${file.replace(/stack\.json$/, 'logs/')} say why)`);
  Object.assign(process.env, emulatorEnv(state.ports, state.projectId));
  return state;
}

/** The secret the stack shares between the functions emulator and the workers. */
export function workerSecret(): string {
  return LOCAL_SECRETS.WORKER_SHARED_SECRET;
}
