import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The repository root: the doctor compares the project with the files deployed from here. */
export const REPO_ROOT = join(__dirname, '..', '..');

/**
 * Every API the deployed project uses, with why. docs/deploy.md's `gcloud services enable` line
 * lists exactly these (scripts/test/doctor.test.ts holds them to it).
 */
export const REQUIRED_APIS: readonly { api: string; why: string }[] = [
  { api: 'firebase.googleapis.com', why: 'Firebase project management (firebase deploy, web app config)' },
  { api: 'identitytoolkit.googleapis.com', why: 'Firebase Authentication: callers of the callables' },
  { api: 'firestore.googleapis.com', why: 'jobs, workers, config/limits; indexes' },
  { api: 'firebaserules.googleapis.com', why: 'Firestore and Storage security rules' },
  { api: 'firebasestorage.googleapis.com', why: 'Storage for Firebase: uploads, download URLs of videos' },
  { api: 'storage.googleapis.com', why: 'the bucket behind it' },
  { api: 'cloudfunctions.googleapis.com', why: 'the functions' },
  { api: 'run.googleapis.com', why: 'where 2nd-gen functions run' },
  { api: 'cloudbuild.googleapis.com', why: 'builds the functions on deploy' },
  { api: 'artifactregistry.googleapis.com', why: "holds the functions' images" },
  { api: 'eventarc.googleapis.com', why: 'firebase deploy enables it for every 2nd-gen codebase' },
  { api: 'pubsub.googleapis.com', why: 'firebase deploy enables it for every 2nd-gen codebase' },
  { api: 'cloudscheduler.googleapis.com', why: 'runs `watchdog` every minute' },
  { api: 'cloudtasks.googleapis.com', why: 'the `runAttempt` and `watchdogTick` queues' },
  { api: 'secretmanager.googleapis.com', why: "the functions' secrets" },
  { api: 'iam.googleapis.com', why: 'service accounts and their roles' },
  { api: 'cloudresourcemanager.googleapis.com', why: "the project's IAM policy (firebase deploy, the doctor)" },
  { api: 'serviceusage.googleapis.com', why: 'which APIs are enabled (firebase deploy, the doctor)' },
];

/** The functions in functions/src/index.ts (scripts/test/doctor.test.ts holds them to it). */
export const EXPECTED_FUNCTIONS = ['createVideoJob', 'cancelVideoJob', 'runAttempt', 'watchdog', 'watchdogTick'] as const;

/** The secrets the functions declare in functions/src/config.ts (held to it by the same test). */
export const EXPECTED_SECRETS = ['WORKER_SHARED_SECRET', 'GEMINI_API_KEY', 'REPLICATE_API_TOKEN', 'RUNPOD_API_KEY'] as const;

/** The functions' region (functions/src/config.ts REGION), the doctor's default --location. */
export const DEFAULT_LOCATION = 'us-central1';

/** The GPU workers' service account id, as docs/deploy.md creates it. */
export const WORKER_ACCOUNT_ID = 'vidgen-gpu-worker';

/** The runtime `firebase deploy` gives the functions: firebase.json's functions[0].runtime. */
export function expectedRuntime(root = REPO_ROOT): string {
  const config = JSON.parse(readFileSync(join(root, 'firebase.json'), 'utf8')) as { functions?: { runtime?: unknown } | { runtime?: unknown }[] };
  const functions = Array.isArray(config.functions) ? config.functions[0] : config.functions;
  const runtime = functions?.runtime;
  if (typeof runtime !== 'string' || !runtime) throw new Error('firebase.json has no functions[0].runtime');
  return runtime;
}

export interface IndexField {
  fieldPath: string;
  order?: string;
  arrayConfig?: string;
}

export interface ExpectedIndex {
  collectionGroup: string;
  queryScope: string;
  fields: IndexField[];
}

/** The composite indexes of firestore.indexes.json. */
export function expectedIndexes(root = REPO_ROOT): ExpectedIndex[] {
  const file = JSON.parse(readFileSync(join(root, 'firestore.indexes.json'), 'utf8')) as { indexes?: ExpectedIndex[] };
  return (file.indexes ?? []).map((index) => ({
    collectionGroup: index.collectionGroup,
    queryScope: index.queryScope ?? 'COLLECTION',
    fields: index.fields.map((field) => ({ fieldPath: field.fieldPath, ...(field.order ? { order: field.order } : {}), ...(field.arrayConfig ? { arrayConfig: field.arrayConfig } : {}) })),
  }));
}

/** The rules files firebase.json deploys, with their text. */
export function expectedRules(root = REPO_ROOT): { firestore: { file: string; source: string }; storage: { file: string; source: string } } {
  const config = JSON.parse(readFileSync(join(root, 'firebase.json'), 'utf8')) as { firestore?: { rules?: string }; storage?: { rules?: string } };
  const firestore = config.firestore?.rules ?? 'firestore.rules';
  const storage = config.storage?.rules ?? 'storage.rules';
  return {
    firestore: { file: firestore, source: readFileSync(join(root, firestore), 'utf8') },
    storage: { file: storage, source: readFileSync(join(root, storage), 'utf8') },
  };
}
