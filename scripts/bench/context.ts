import type { App } from 'firebase-admin/app';
import type { Firestore } from 'firebase-admin/firestore';
import type { StackState } from '../stack/stack';
import type { LogTail } from './probes';
import type { BenchProgress } from './progress';
import type { Detail, Figure } from './report';

/** What every benchmark section works with. */
export interface BenchContext {
  state: StackState;
  /** The one worker (and its ComfyUI simulator) of the bench stack. */
  worker: StackState['workers'][number];
  /** Admin SDK Firestore on the bench stack's emulator. */
  admin: Firestore;
  /** The Admin SDK app behind it (task queues). */
  adminApp: App;
  /** The firebase-tools emulators' log, followed live. */
  tail: LogTail;
  progress: BenchProgress;
  /** Aborted on Ctrl-C: sections stop at their next step. */
  signal: AbortSignal;
  stateDir: string;
}

/** A section's figures and its detail tables. */
export interface SectionResult {
  title: string;
  figures: Figure[];
  details: Detail[];
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
