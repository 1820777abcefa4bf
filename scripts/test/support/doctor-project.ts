import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TTL_COLLECTION_GROUPS } from '@vidgen/contract';
import { EXPECTED_FUNCTIONS, EXPECTED_SECRETS, expectedRuntime, REQUIRED_APIS } from '../../doctor/expected';
import { cloudFunction, type Binding, type FakeProject, type Json } from './google-apis-state';

/** A deployed project as docs/deploy.md leaves it, for the doctor's tests. */
export const PROJECT = 'vidgen-prod';
export const PROJECT_NUMBER = '123456789012';
export const LOCATION = 'us-central1';
export const BUCKET = `${PROJECT}.firebasestorage.app`;
export const FUNCTIONS_SA = `${PROJECT_NUMBER}-compute@developer.gserviceaccount.com`;
export const WORKER_SA = `vidgen-gpu-worker@${PROJECT}.iam.gserviceaccount.com`;
export const sa = (email: string): string => `serviceAccount:${email}`;

const ROOT = join(__dirname, '..', '..', '..');
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

export const onlyUnder = (prefix: string, bucket = BUCKET): Binding['condition'] => ({
  title: `${prefix.replace(/\/$/, '')} only`,
  expression: `resource.name.startsWith("projects/_/buckets/${bucket}/objects/${prefix}")`,
});

/** A `workers/{id}` record with a fresh heartbeat, whose /health is served at {origin}/pods/{id}/health. */
export function workerRecord(origin: string, id: string, overrides: Json = {}): Json {
  return {
    workerId: id,
    url: `${origin}/pods/${id}`,
    state: 'ready',
    capacity: 2,
    running: 0,
    tiersReady: ['animatediff', 'svd'],
    modelsLoaded: ['v1-5-pruned-emaonly.safetensors'],
    comfyuiVersion: '0.3.64',
    gpu: 'NVIDIA GeForce RTX 3090',
    startedAt: new Date(Date.now() - 3_600_000),
    heartbeatAt: new Date(Date.now() - 2_000),
    ...overrides,
  };
}

/**
 * Every check passes: the APIs enabled, the functions deployed on firebase.json's runtime, secrets
 * set, indexes READY, this checkout's rules released, and exactly the grants docs/deploy.md's table
 * asks for, written out here by hand (not from the doctor's table) so the two are checked against
 * each other. Workers are added by the test, which knows the server's origin.
 */
export function healthyProject(): FakeProject {
  const runtime = expectedRuntime(ROOT);
  const both = (): string[] => [sa(FUNCTIONS_SA), sa(WORKER_SA)];
  const rawIndexes = (JSON.parse(read('firestore.indexes.json')) as { indexes: { collectionGroup: string; queryScope: string; fields: Json[] }[] }).indexes;
  return {
    projectId: PROJECT,
    projectNumber: PROJECT_NUMBER,
    lifecycleState: 'ACTIVE',
    enabledApis: new Set([...REQUIRED_APIS.map(({ api }) => api), 'logging.googleapis.com', 'compute.googleapis.com']),
    projectPolicy: {
      bindings: [
        { role: 'roles/owner', members: ['user:ops@example.com'] },
        { role: 'roles/datastore.user', members: both() },
        { role: 'roles/cloudtasks.enqueuer', members: both() },
        { role: 'roles/logging.logWriter', members: [sa(FUNCTIONS_SA)] },
      ],
    },
    functions: EXPECTED_FUNCTIONS.map((id) => cloudFunction(PROJECT, LOCATION, id, { runtime, account: FUNCTIONS_SA })),
    runServices: new Map([
      ['createvideojob', { bindings: [{ role: 'roles/run.invoker', members: ['allUsers'] }] }],
      ['cancelvideojob', { bindings: [{ role: 'roles/run.invoker', members: ['allUsers'] }] }],
      ['runattempt', { bindings: [{ role: 'roles/run.invoker', members: both() }] }],
      ['watchdog', { bindings: [{ role: 'roles/run.invoker', members: [sa(FUNCTIONS_SA)] }] }],
      ['watchdogtick', {}],
    ]),
    secrets: new Map(EXPECTED_SECRETS.map((name) => [name, { versions: ['DESTROYED', 'ENABLED'], policy: { bindings: [{ role: 'roles/secretmanager.secretAccessor', members: [sa(FUNCTIONS_SA)] }] } }])),
    indexes: rawIndexes.map((index) => ({ ...index, state: 'READY' })),
    releases: new Map([
      ['cloud.firestore', { file: 'firestore.rules', content: read('firestore.rules') }],
      [`firebase.storage/${BUCKET}`, { file: 'storage.rules', content: read('storage.rules') }],
    ]),
    buckets: new Map([[BUCKET, {
      uniformAccess: true,
      // What `npm run retention -- apply` writes with the defaults, beside a rule of the operator's own.
      lifecycle: [
        { action: { type: 'SetStorageClass', storageClass: 'NEARLINE' }, condition: { age: 365, matchesStorageClass: ['STANDARD'] } },
        { action: { type: 'Delete' }, condition: { age: 30, matchesPrefix: ['videos/'] } },
        { action: { type: 'Delete' }, condition: { age: 3, matchesPrefix: ['uploads/'] } },
      ],
      policy: {
        bindings: [
          { role: 'roles/storage.legacyBucketOwner', members: [`projectEditor:${PROJECT}`, `projectOwner:${PROJECT}`] },
          { role: 'roles/storage.legacyBucketReader', members: [`projectViewer:${PROJECT}`] },
          { role: 'roles/storage.objectAdmin', members: both(), condition: onlyUnder('videos/') },
          { role: 'roles/storage.objectUser', members: both(), condition: onlyUnder('uploads/') },
        ],
      },
    }]]),
    serviceAccounts: new Map([
      [FUNCTIONS_SA, { disabled: false, policy: { bindings: [{ role: 'roles/iam.serviceAccountUser', members: [sa(FUNCTIONS_SA)] }] } }],
      [WORKER_SA, { disabled: false, policy: { bindings: [{ role: 'roles/iam.serviceAccountUser', members: [sa(WORKER_SA)] }] } }],
    ]),
    ttls: new Map(TTL_COLLECTION_GROUPS.map((group) => [`${group}/expiresAt`, 'ACTIVE'])),
    documents: new Map([['config/limits', { paused: false, userDailyBudgetUsd: 5, tiers: { veo: { enabled: true } } }]]),
    health: new Map(),
    failures: new Map(),
  };
}
