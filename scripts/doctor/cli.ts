import { parseArgs } from 'node:util';
import { createTasksClient } from '../queues/client';
import { checkAccounts } from './checks/accounts';
import { checkFunctions } from './checks/functions';
import { checkIndexes } from './checks/indexes';
import { checkLimits } from './checks/limits';
import { checkApis, checkProject } from './checks/project';
import { checkQueues } from './checks/queues';
import { checkLifecycle, checkTtl } from './checks/retention';
import { checkRules } from './checks/rules';
import { checkSecrets } from './checks/secrets';
import { checkBucket } from './checks/storage';
import { checkWorkers } from './checks/workers';
import type { Context } from './context';
import { DEFAULT_LOCATION, expectedRuntime, REPO_ROOT, WORKER_ACCOUNT_ID } from './expected';
import { GoogleApi } from './google-api';
import { formatResult, guarded, type CheckResult } from './report';

export const USAGE = `Usage: npm run doctor -- --project PROJECT_ID [--location REGION] [options]

Checks a deployed project, read-only, and prints one line per check: ok, warn or FAIL, what was
checked and, for warn and FAIL, the command that fixes it. Exit status: 0 no FAIL, 1 some FAIL,
2 bad usage.

Options:
  --project ID         Google Cloud project (default: $GOOGLE_CLOUD_PROJECT)
  --location REGION    the functions' region (default: ${DEFAULT_LOCATION})
  --bucket NAME        the Storage bucket (default: the functions' STORAGE_BUCKET, else the
                       project's default bucket)
  --functions-sa EMAIL the functions' service account (default: the one runAttempt runs as, else
                       the default compute service account)
  --worker-sa EMAIL    the GPU workers' service account (default: ${WORKER_ACCOUNT_ID}@PROJECT.iam.gserviceaccount.com)
  -h, --help           this help

Credentials are Application Default Credentials; the account needs roles/viewer and
roles/iam.securityReviewer. DOCTOR_API_BASE_URL=http://127.0.0.1:PORT sends every Google API call to
PORT/{api}/... (a local server that speaks those REST APIs; token: DOCTOR_API_TOKEN), and
CLOUD_TASKS_API_URL points the Cloud Tasks client at a local server, as for npm run queues.`;

export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env: Record<string, string | undefined>;
  /** The repository whose files the project is compared with (default: this one). */
  root?: string;
  now?: () => number;
}

class UsageError extends Error {}

interface Options {
  project: string;
  location: string;
  bucket?: string;
  functionsAccount?: string;
  workerAccount?: string;
}

/** Runs `npm run doctor -- ...args`; resolves to the exit code. */
export async function runDoctorCli(args: string[], io: CliIo): Promise<number> {
  let options: Options | 'help';
  try {
    options = parseOptions(args, io.env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`[doctor] ERROR: ${error.message}\nRun with --help for usage.\n`);
    return 2;
  }
  if (options === 'help') {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const root = io.root ?? REPO_ROOT;
  const baseUrl = io.env.DOCTOR_API_BASE_URL || undefined;
  const tasks = createTasksClient({ apiUrl: io.env.CLOUD_TASKS_API_URL || undefined, accessToken: io.env.CLOUD_TASKS_API_TOKEN || undefined });
  const context: Context = {
    api: new GoogleApi({ baseUrl, accessToken: io.env.DOCTOR_API_TOKEN || undefined }),
    tasks,
    project: options.project,
    location: options.location,
    root,
    projectNumber: '',
    runtime: expectedRuntime(root),
    functions: new Map(),
    bucket: options.bucket,
    bucketFound: false,
    functionsAccount: options.functionsAccount ?? '',
    workerAccount: options.workerAccount ?? `${WORKER_ACCOUNT_ID}@${options.project}.iam.gserviceaccount.com`,
    given: { bucket: options.bucket, functionsAccount: options.functionsAccount, workerAccount: options.workerAccount },
    now: io.now ?? Date.now,
  };
  const failures: CheckResult[] = [];
  const print = (results: CheckResult[]): void => {
    for (const result of results) {
      if (result.status === 'FAIL') failures.push(result);
      io.stdout.write(`${formatResult(result)}\n`);
    }
  };
  const step = async (check: string, run: () => Promise<CheckResult[]>): Promise<void> => print(await guarded(check, context, run));
  try {
    io.stdout.write(`# vidgen doctor: project ${context.project}, region ${context.location}, functions runtime ${context.runtime} (firebase.json); read-only\n`);
    const project = await checkProject(context);
    print([project]);
    if (project.status === 'FAIL') return 1;
    // The default compute service account, unless runAttempt runs as another (found by checkFunctions).
    context.functionsAccount ||= `${context.projectNumber}-compute@developer.gserviceaccount.com`;
    await step('apis', () => checkApis(context));
    await step('functions', () => checkFunctions(context));
    await step('secrets', () => checkSecrets(context));
    await step('queues', () => checkQueues(context));
    await step('indexes', () => checkIndexes(context));
    await step('bucket', () => checkBucket(context));
    await step('rules', () => checkRules(context));
    await step('lifecycle', () => checkLifecycle(context));
    await step('ttl', () => checkTtl(context));
    await step('service accounts', () => checkAccounts(context));
    await step('workers', () => checkWorkers(context));
    await step('config/limits', () => checkLimits(context));
  } finally {
    await tasks.close();
  }
  io.stdout.write(failures.length === 0 ? '# no FAIL\n' : `# ${failures.length} FAIL\n`);
  return failures.length === 0 ? 0 : 1;
}

function parseOptions(args: string[], env: Record<string, string | undefined>): Options | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: false,
      strict: true,
      options: {
        project: { type: 'string' },
        location: { type: 'string', default: DEFAULT_LOCATION },
        bucket: { type: 'string' },
        'functions-sa': { type: 'string' },
        'worker-sa': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    // Checked by shape: parseArgs' TypeError may come from another realm (Jest's VM) than our Error.
    const message = (error as { message?: unknown } | null)?.message;
    throw new UsageError((typeof message === 'string' ? message : String(error)).replace(/\. To specify a positional argument.*$/s, ''));
  }
  const { values } = parsed;
  if (values.help) return 'help';
  const project = values.project ?? env.GOOGLE_CLOUD_PROJECT;
  if (!project) throw new UsageError('--project is required (or set GOOGLE_CLOUD_PROJECT)');
  if (!/^[a-z][a-z0-9:.-]{4,61}[a-z0-9]$/.test(project)) throw new UsageError(`--project: '${project}' is not a project id`);
  if (project.startsWith('demo-')) throw new UsageError(`--project: '${project}' is an emulator-only demo project; there is nothing deployed to check`);
  const location = values.location;
  if (!/^[a-z]+-[a-z]+[0-9]+$/.test(location)) throw new UsageError(`--location: '${location}' is not a region such as us-central1`);
  const email = /^[^@\s]+@[a-z0-9.-]+\.[a-z]+$/;
  for (const flag of ['functions-sa', 'worker-sa'] as const) {
    const value = values[flag];
    if (value !== undefined && !email.test(value)) throw new UsageError(`--${flag}: '${value}' is not a service account email`);
  }
  if (values.bucket !== undefined && !/^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/.test(values.bucket)) throw new UsageError(`--bucket: '${values.bucket}' is not a bucket name (no gs://)`);
  for (const variable of ['DOCTOR_API_BASE_URL', 'CLOUD_TASKS_API_URL'] as const) {
    const url = env[variable];
    if (url && !/^https?:\/\/[^/]+\/?$/.test(url)) throw new UsageError(`${variable}: '${url}' is not an origin such as http://127.0.0.1:8123`);
  }
  return { project, location, bucket: values.bucket, functionsAccount: values['functions-sa'], workerAccount: values['worker-sa'] };
}
