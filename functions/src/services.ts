import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getApps, initializeApp, type App } from 'firebase-admin/app';
import { getFirestore, type Firestore } from 'firebase-admin/firestore';
import { getFunctions, type Functions } from 'firebase-admin/functions';
import { JobRepository } from '@vidgen/contract/admin';
import { CloudObjectStore, resolveTools, type ObjectStore } from '@vidgen/media';
import type { FollowUpServices, RunLog } from '@vidgen/runner';
import { LiveLimits } from './api/live-limits';
import { settings } from './config';

export interface Services {
  app: App;
  db: Firestore;
  jobs: JobRepository;
  taskQueues: Functions;
  /** `config/limits`, read at most every LIMITS_CACHE_SECONDS by this instance. */
  limits: LiveLimits;
  /** Where hosted providers' videos are stored and encoded, made on first use. */
  outputs(): Promise<OutputServices>;
}

export interface OutputServices {
  store: ObjectStore;
  tools: { ffmpeg: string; ffprobe: string };
  workDir: string;
}

let services: Services | undefined;
let outputs: OutputServices | undefined;

/** The Admin SDK handles, made on first use rather than at import, so loading the module does no I/O. */
export function getServices(): Services {
  if (!services) {
    const app = getApps()[0] ?? initializeApp();
    const db = getFirestore(app);
    db.settings({ ignoreUndefinedProperties: true });
    services = { app, db, jobs: new JobRepository(db), taskQueues: getFunctions(app), limits: new LiveLimits(db), outputs: getOutputServices };
  }
  return services;
}

/**
 * Where hosted providers' videos go: Cloud Storage, or in the local stack (FIREBASE_STORAGE_EMULATOR_HOST
 * set) the local store server the workers write to, which speaks the same API.
 */
export async function getOutputServices(): Promise<OutputServices> {
  if (!outputs) {
    const { app } = getServices();
    const store: ObjectStore = new CloudObjectStore(app, settings().STORAGE_BUCKET || undefined);
    const workDir = join(tmpdir(), 'vidgen-functions');
    await mkdir(workDir, { recursive: true });
    outputs = { store, tools: resolveTools({}), workDir };
  }
  return outputs;
}

/** What `followUp` works with in the functions: these services, and the output store made on first use. */
export function followUpServices(services: Services, log: RunLog): FollowUpServices {
  return { jobs: services.jobs, taskQueues: services.taskQueues, store: async () => (await services.outputs()).store, log };
}
