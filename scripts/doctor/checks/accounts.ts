import { runServiceOf, type Context } from '../context';
import { EXPECTED_SECRETS, WORKER_ACCOUNT_ID } from '../expected';
import { ApiCallError } from '../google-api';
import { coverage, type Policy, type PolicyAt } from '../iam';
import { fail, guarded, ok, warn, type CheckResult } from '../report';
import { ACCOUNT_LABEL, GRANTS, grantCommand, objectsPrefix, runServiceId, type Account, type Grant, type Target } from '../roles';

interface ServiceAccount {
  email?: string;
  disabled?: boolean;
}

/** IAM policies read once per run, by resource. */
class Policies {
  private readonly cache = new Map<string, Promise<Policy | null>>();
  constructor(private readonly context: Context) {}

  /** The policy, or null when the resource does not exist. */
  get(key: string, read: () => Promise<Policy>): Promise<Policy | null> {
    let policy = this.cache.get(key);
    if (!policy) {
      policy = read().catch((error: unknown) => {
        if (error instanceof ApiCallError && error.httpStatus === 404) return null;
        throw error;
      });
      this.cache.set(key, policy);
    }
    return policy;
  }

  project(): Promise<Policy | null> {
    return this.get('project', () => this.context.api.getIamPolicy<Policy>('cloudresourcemanager', `v1/projects/${this.context.project}`));
  }

  bucket(bucket: string): Promise<Policy | null> {
    return this.get(`bucket ${bucket}`, async () =>
      (await this.context.api.get<Policy>('storage', `storage/v1/b/${encodeURIComponent(bucket)}/iam`, { optionsRequestedPolicyVersion: 3 })).body);
  }

  account(email: string): Promise<Policy | null> {
    return this.get(`account ${email}`, () => this.context.api.getIamPolicy<Policy>('iam', `v1/projects/${this.context.project}/serviceAccounts/${email}`));
  }

  service(id: string): Promise<Policy | null> {
    const { project, location } = this.context;
    return this.get(`service ${id}`, () => this.context.api.getIamPolicy<Policy>('run', `v2/projects/${project}/locations/${location}/services/${id}`));
  }

  secret(name: string): Promise<Policy | null> {
    return this.get(`secret ${name}`, () => this.context.api.getIamPolicy<Policy>('secretmanager', `v1/projects/${this.context.project}/secrets/${name}`));
  }
}

/**
 * Both service accounts exist and are enabled, and each holds every role of the roles table (roles.ts)
 * where the table puts it: ok when granted exactly so, warn when only a broader grant covers it (a
 * project-wide role, Owner or Editor, a bucket role without its condition), FAIL when nothing does.
 */
export async function checkAccounts(context: Context): Promise<CheckResult[]> {
  const policies = new Policies(context);
  const target: Target = {
    project: context.project,
    location: context.location,
    bucket: context.bucket,
    services: { runAttempt: runServiceOf(context, 'runAttempt'), watchdog: runServiceOf(context, 'watchdog') },
  };
  const results: CheckResult[] = [];
  const accounts: [Account, string][] = [['functions', context.functionsAccount], ['worker', context.workerAccount]];
  for (const [account, email] of accounts) {
    const check = `${ACCOUNT_LABEL[account]} account ${email}`;
    const found = await context.api.getOrNull<ServiceAccount>('iam', `v1/projects/${context.project}/serviceAccounts/${email}`);
    if (!found) {
      const create = account === 'worker' && email.startsWith(`${WORKER_ACCOUNT_ID}@`)
        ? `gcloud iam service-accounts create ${WORKER_ACCOUNT_ID} --display-name="vidgen GPU workers" --project=${context.project}`
        : `create it, or name the right one with --${account === 'worker' ? 'worker' : 'functions'}-sa`;
      results.push(fail(check, 'does not exist; its roles are not checked', create));
      continue;
    }
    if (found.disabled) {
      results.push(fail(check, 'is disabled', `gcloud iam service-accounts enable ${email} --project=${context.project}`));
    } else {
      results.push(ok(check, 'exists'));
    }
    for (const grant of GRANTS.filter((g) => g.account === account)) {
      const secrets = grant.scope.kind === 'secret' ? EXPECTED_SECRETS : [undefined];
      for (const secret of secrets) {
        // One unreadable policy costs its own lines only.
        const check = `${ACCOUNT_LABEL[account]} ${grant.role} on ${scopeName(grant, target, secret)}`;
        results.push(...(await guarded(check, context, async () => [await checkGrant(context, policies, target, grant, email, secret)])));
      }
    }
  }
  return results;
}

/** "the project", "Cloud Run service runattempt", "gs://B/videos/", "secret NAME": where a grant is checked. */
function scopeName(grant: Grant, target: Target, secret?: string): string {
  const scope = grant.scope;
  switch (scope.kind) {
    case 'project':
      return 'the project';
    case 'self':
      return 'itself';
    case 'run-service':
      return `Cloud Run service ${target.services[scope.fn] ?? runServiceId(scope.fn)}`;
    case 'objects':
      return `gs://${target.bucket ?? '(no bucket)'}/${scope.prefix}`;
    case 'secret':
      return `secret ${secret}`;
  }
}

async function checkGrant(context: Context, policies: Policies, target: Target, grant: Grant, email: string, secret?: string): Promise<CheckResult> {
  const scope = grant.scope;
  const name = `${ACCOUNT_LABEL[grant.account]} ${grant.role} on ${scopeName(grant, target, secret)}`;
  const fix = grantCommand(grant, email, target, secret);
  const projectPolicy = await policies.project();
  const project: PolicyAt[] = projectPolicy ? [{ where: 'the project', policy: projectPolicy, narrow: scope.kind === 'project' }] : [];
  let narrow: Policy | null = null;
  let where = '';
  let objectPath: string | undefined;
  switch (scope.kind) {
    case 'project':
      break;
    case 'self':
      narrow = await policies.account(email);
      where = 'the account itself';
      break;
    case 'run-service': {
      const id = target.services[scope.fn] ?? runServiceId(scope.fn);
      narrow = await policies.service(id);
      if (!narrow) return fail(name, `service not found (${scope.fn} is not deployed)`, `npx firebase deploy --only functions --project ${context.project}, then: ${fix}`);
      where = `service ${id}`;
      break;
    }
    case 'objects':
      if (!target.bucket || !context.bucketFound) return fail(name, 'not checked: no bucket', 'see the bucket line above');
      objectPath = objectsPrefix(target.bucket, scope.prefix);
      narrow = await policies.bucket(target.bucket);
      where = 'the bucket';
      break;
    case 'secret':
      narrow = await policies.secret(secret ?? '');
      if (!narrow) return fail(name, 'the secret does not exist', `npx firebase functions:secrets:set ${secret} --project ${context.project}`);
      where = `secret ${secret}`;
      break;
  }
  const found = coverage([...(narrow ? [{ where, policy: narrow, narrow: true }] : []), ...project], email, grant.role, objectPath);
  switch (found.kind) {
    case 'exact':
      return ok(name, 'granted');
    case 'broader':
      return warn(name, `${found.how}: broader than needed`, fix);
    case 'conditional':
      return warn(name, `${found.how}; the doctor cannot tell whether that covers it`, fix);
    case 'missing':
      return fail(name, 'missing', fix);
  }
}
