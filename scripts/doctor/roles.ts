import { EXPECTED_SECRETS } from './expected';

/**
 * The least-privilege roles of the two service accounts: the one table docs/deploy.md prints and the
 * doctor checks (scripts/test/doctor.test.ts holds the docs to this list).
 */

export type Account = 'functions' | 'worker';

export type Scope =
  /** The project's IAM policy. */
  | { kind: 'project' }
  /** The account's own IAM policy (a role on the service account itself). */
  | { kind: 'self' }
  /** The Cloud Run service behind a function. */
  | { kind: 'run-service'; fn: 'runAttempt' | 'watchdog' }
  /** The bucket, limited by an IAM condition to the objects under a prefix. */
  | { kind: 'objects'; prefix: 'videos/' | 'uploads/' }
  /** Each of the functions' secrets. */
  | { kind: 'secret' };

export interface Grant {
  account: Account;
  role: string;
  scope: Scope;
  why: string;
}

export const ACCOUNT_LABEL: Record<Account, string> = { functions: 'functions', worker: 'GPU worker' };

export const GRANTS: readonly Grant[] = [
  { account: 'functions', role: 'roles/datastore.user', scope: { kind: 'project' }, why: 'jobs, `workers/`, `config/limits`, `ledgers/`' },
  { account: 'functions', role: 'roles/cloudtasks.enqueuer', scope: { kind: 'project' }, why: 'enqueue attempts to `runAttempt`' },
  { account: 'functions', role: 'roles/iam.serviceAccountUser', scope: { kind: 'self' }, why: "firebase-admin names this account in each task's OIDC token; without it Cloud Tasks refuses the enqueue" },
  { account: 'functions', role: 'roles/run.invoker', scope: { kind: 'run-service', fn: 'runAttempt' }, why: "Cloud Tasks calls `runAttempt` with this account's token" },
  { account: 'functions', role: 'roles/run.invoker', scope: { kind: 'run-service', fn: 'watchdog' }, why: "Cloud Scheduler calls `watchdog` with this account's token (firebase deploy grants it)" },
  { account: 'functions', role: 'roles/storage.objectAdmin', scope: { kind: 'objects', prefix: 'videos/' }, why: "Veo and Replicate videos and posters; removing ended attempts' files" },
  { account: 'functions', role: 'roles/storage.objectUser', scope: { kind: 'objects', prefix: 'uploads/' }, why: 'reference images sent to Veo and Replicate; removing them once their job ended' },
  { account: 'functions', role: 'roles/secretmanager.secretAccessor', scope: { kind: 'secret' }, why: 'the secrets it declares (firebase deploy grants it)' },
  { account: 'worker', role: 'roles/datastore.user', scope: { kind: 'project' }, why: 'jobs and its `workers/{id}` record' },
  { account: 'worker', role: 'roles/cloudtasks.enqueuer', scope: { kind: 'project' }, why: 'enqueue the next attempt when one fails over' },
  { account: 'worker', role: 'roles/iam.serviceAccountUser', scope: { kind: 'self' }, why: "its own identity goes into each task's OIDC token" },
  { account: 'worker', role: 'roles/run.invoker', scope: { kind: 'run-service', fn: 'runAttempt' }, why: "Cloud Tasks calls `runAttempt` with this account's token" },
  { account: 'worker', role: 'roles/storage.objectAdmin', scope: { kind: 'objects', prefix: 'videos/' }, why: "videos and posters; removing ended attempts' files" },
  { account: 'worker', role: 'roles/storage.objectUser', scope: { kind: 'objects', prefix: 'uploads/' }, why: 'reference images for ComfyUI; removing them once their job ended' },
];

/** The Cloud Run service id of a 2nd-gen function when the API does not say: its name in lower case. */
export const runServiceId = (fn: string): string => fn.toLowerCase();

/** The path prefix an IAM condition on `bucket` names for objects under `prefix`. */
export const objectsPrefix = (bucket: string, prefix: string): string => `projects/_/buckets/${bucket}/objects/${prefix}`;

/** The IAM condition expression limiting a bucket role to `prefix`. */
export const prefixCondition = (bucket: string, prefix: string): string => `resource.name.startsWith("${objectsPrefix(bucket, prefix)}")`;

/** Where a grant applies, for the docs' table and the doctor's lines. */
export function describeScope(scope: Scope): string {
  switch (scope.kind) {
    case 'project':
      return 'the project';
    case 'self':
      return 'the account itself';
    case 'run-service':
      return runServiceId(scope.fn) === scope.fn ? `Cloud Run service \`${scope.fn}\`` : `Cloud Run service \`${runServiceId(scope.fn)}\` (\`${scope.fn}\`)`;
    case 'objects':
      return `the bucket, condition: objects under \`${scope.prefix}\``;
    case 'secret':
      return `each secret (${EXPECTED_SECRETS.map((name) => `\`${name}\``).join(', ')})`;
  }
}

export interface Target {
  project: string;
  location: string;
  bucket?: string;
  /** The Cloud Run service ids of the functions, where known. */
  services: Partial<Record<'runAttempt' | 'watchdog', string>>;
}

/** The gcloud command that makes `grant` for `email` (`secret`: the secret's name, for secret grants). */
export function grantCommand(grant: Grant, email: string, target: Target, secret?: string): string {
  const member = `--member=serviceAccount:${email} --role=${grant.role}`;
  const scope = grant.scope;
  switch (scope.kind) {
    case 'project':
      return `gcloud projects add-iam-policy-binding ${target.project} ${member} --condition=None`;
    case 'self':
      return `gcloud iam service-accounts add-iam-policy-binding ${email} ${member} --project=${target.project}`;
    case 'run-service': {
      const service = target.services[scope.fn] ?? runServiceId(scope.fn);
      return `gcloud run services add-iam-policy-binding ${service} --region=${target.location} ${member} --project=${target.project}`;
    }
    case 'objects': {
      const bucket = target.bucket ?? 'BUCKET';
      const title = `${scope.prefix.replace(/\/$/, '')} only`;
      return `gcloud storage buckets add-iam-policy-binding gs://${bucket} ${member} --condition='expression=${prefixCondition(bucket, scope.prefix)},title=${title}'`;
    }
    case 'secret':
      return `gcloud secrets add-iam-policy-binding ${secret ?? 'SECRET'} ${member} --project=${target.project}`;
  }
}
