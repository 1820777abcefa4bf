import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { initializeApp, type App } from 'firebase-admin/app';
import { getFirestore, type Firestore } from 'firebase-admin/firestore';
import { getFunctions, type Functions } from 'firebase-admin/functions';
import { JobRepository } from '@vidgen/contract/admin';
import { ComfyClient } from './comfy/client';
import { GraphChecker } from './comfy/graph-check';
import { ComfySocket } from './comfy/socket';
import { loadWorkflow, type Workflow } from './comfy/workflows';
import type { Config } from './config';
import type { Logger } from './logger';
import { createMetrics, type Metrics } from './metrics';
import { CloudObjectStore, resolveTools, type ObjectStore } from '@vidgen/media';

export interface WorkerServices {
  config: Config;
  log: Logger;
  app: App;
  db: Firestore;
  jobs: JobRepository;
  taskQueues: Functions;
  comfy: ComfyClient;
  socket: ComfySocket;
  checker: GraphChecker;
  workflows: { animatediff: Workflow; svd: Workflow };
  store: ObjectStore;
  tools: { ffmpeg: string; ffprobe: string };
  metrics: Metrics;
  workDir: string;
  /** How many of this worker's runs follow each ComfyUI prompt (a redelivered attempt re-attaches to its prompt). */
  promptFollowers: Map<string, number>;
}

/** Builds the worker's collaborators from its configuration; opens nothing yet. */
export async function createServices(config: Config, log: Logger): Promise<WorkerServices> {
  const app = initializeApp({ ...(config.STORAGE_BUCKET ? { storageBucket: config.STORAGE_BUCKET } : {}) }, `worker-${config.WORKER_ID}`);
  const db = getFirestore(app);
  db.settings({ ignoreUndefinedProperties: true });
  const comfy = new ComfyClient(config.COMFYUI_URL);
  const workDir = resolve(config.WORK_DIR ?? join(tmpdir(), `vidgen-${config.WORKER_ID}`));
  await mkdir(workDir, { recursive: true });
  // Cloud Storage, or in the local stack (FIREBASE_STORAGE_EMULATOR_HOST set) the local store server, which speaks its API.
  const store: ObjectStore = new CloudObjectStore(app, config.STORAGE_BUCKET);
  const metrics = createMetrics();
  const jobs = new JobRepository(db);
  jobs.onWrite = () => metrics.jobWrites.inc();
  jobs.retry = { onConflict: () => metrics.jobWriteConflicts.inc() };
  return {
    config,
    log,
    app,
    db,
    jobs,
    taskQueues: getFunctions(app),
    comfy,
    socket: new ComfySocket(config.COMFYUI_URL, `${config.WORKER_ID}-${process.pid}`, log.child({ component: 'comfy-socket' })),
    checker: new GraphChecker(comfy),
    workflows: { animatediff: loadWorkflow('animatediff'), svd: loadWorkflow('svd') },
    store,
    tools: resolveTools({ ffmpegPath: config.FFMPEG_PATH, ffprobePath: config.FFPROBE_PATH }),
    metrics,
    workDir,
    promptFollowers: new Map(),
  };
}
