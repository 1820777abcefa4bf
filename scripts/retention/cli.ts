import { parseArgs } from 'node:util';
import { DEFAULT_RETENTION_DAYS, DEFAULT_UPLOAD_RETENTION_DAYS, STORAGE_PREFIXES, TTL_FIELD } from '@vidgen/contract';
import type { CloudFunction } from '../doctor/context';
import { DEFAULT_LOCATION } from '../doctor/expected';
import { ApiCallError } from '../doctor/google-api';
import { GoogleApiWriter } from './google-api-writer';
import { PREFIXES, ruleAge, storageRetention, TTL_GROUPS, ttlFieldPath, withRetention, type FirestoreField, type LifecycleRule, type StorageRetention } from './policy';

export const USAGE = `Usage: npm run retention -- <status|apply> --project PROJECT_ID [options]

How long stored things are kept, written where the platform enforces it:
  Cloud Storage lifecycle rules on the bucket: delete videos/ (videos and posters) after
    VIDEO_RETENTION_DAYS (the deployed functions' parameter, default ${DEFAULT_RETENTION_DAYS.video}) and uploads/
    (reference images) after ${DEFAULT_UPLOAD_RETENTION_DAYS} days; the bucket's other rules are kept.
  Firestore TTL policies on ${TTL_GROUPS.map((group) => `${group}.${TTL_FIELD}`).join(', ')}: documents are deleted
    (usually within a day) once that time has passed.

Commands:
  status   print what the project has
  apply    write what is missing or different (a second run changes nothing)

Options:
  --project ID         Google Cloud project (default: $GOOGLE_CLOUD_PROJECT)
  --location REGION    the functions' region, to read their STORAGE_BUCKET and VIDEO_RETENTION_DAYS
                       (default: ${DEFAULT_LOCATION})
  --bucket NAME        the bucket (default: the functions' STORAGE_BUCKET, else the default bucket)
  --video-days N       override VIDEO_RETENTION_DAYS
  --upload-days N      days an unused reference upload may stay (default ${DEFAULT_UPLOAD_RETENTION_DAYS})
  --dry-run            apply: print what would change, change nothing
  -h, --help           this help

Credentials are Application Default Credentials; the account needs roles/storage.admin on the bucket
and roles/datastore.indexAdmin (for status: roles/viewer). DOCTOR_API_BASE_URL=http://127.0.0.1:PORT
sends every call to a local server that speaks those REST APIs (token: DOCTOR_API_TOKEN).
Exit status: 0 done, 1 an API call failed, 2 bad usage.`;

export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env: Record<string, string | undefined>;
}

class UsageError extends Error {}

interface Command {
  name: 'status' | 'apply';
  project: string;
  location: string;
  bucket?: string;
  given: Partial<StorageRetention>;
  dryRun: boolean;
}

interface Bucket {
  name?: string;
  lifecycle?: { rule?: LifecycleRule[] };
}

/** Runs `npm run retention -- ...args`; resolves to the exit code. */
export async function runRetentionCli(args: string[], io: CliIo): Promise<number> {
  let command: Command | 'help';
  try {
    command = parseCommand(args, io.env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`[retention] ERROR: ${error.message}\nRun with --help for usage.\n`);
    return 2;
  }
  if (command === 'help') {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const api = new GoogleApiWriter({ baseUrl: io.env.DOCTOR_API_BASE_URL || undefined, accessToken: io.env.DOCTOR_API_TOKEN || undefined });
  const say = (line: string) => io.stdout.write(`${line}\n`);
  try {
    const env = await deployedEnv(api, command, say);
    const retention = storageRetention(command.given, env);
    const bucket = await findBucket(api, command.bucket ?? env.STORAGE_BUCKET, command.project);
    await storageLifecycle(api, command, bucket, retention, say);
    for (const group of TTL_GROUPS) await ttlPolicy(api, command, group, say);
    return 0;
  } catch (error) {
    if (!(error instanceof ApiCallError)) throw error;
    io.stderr.write(`[retention] ERROR: ${error.message}\n`);
    return 1;
  }
}

/** The environment runAttempt runs with (its STORAGE_BUCKET and VIDEO_RETENTION_DAYS), or none when it cannot be read. */
async function deployedEnv(api: GoogleApiWriter, command: Command, say: (line: string) => void): Promise<Record<string, string>> {
  if (command.bucket && command.given.videos) return {};
  try {
    const parent = `projects/${command.project}/locations/${command.location}`;
    const { body } = await api.list<CloudFunction>('cloudfunctions', `v2/${parent}/functions`, 'functions', { pageSize: 100 });
    const runAttempt = body.find((fn) => fn.name.endsWith('/runAttempt'));
    if (!runAttempt) say(`# runAttempt is not deployed in ${command.location}: using the defaults`);
    return runAttempt?.serviceConfig?.environmentVariables ?? {};
  } catch (error) {
    if (!(error instanceof ApiCallError)) throw error;
    say(`# could not read the deployed functions (${error.message}): using the defaults`);
    return {};
  }
}

/** The named bucket, or the project's default one: PROJECT.firebasestorage.app, else PROJECT.appspot.com. */
async function findBucket(api: GoogleApiWriter, named: string | undefined, project: string): Promise<{ name: string; rules: LifecycleRule[] }> {
  const candidates = named ? [named] : [`${project}.firebasestorage.app`, `${project}.appspot.com`];
  for (const name of candidates) {
    const bucket = await api.getOrNull<Bucket>('storage', `storage/v1/b/${encodeURIComponent(name)}`, { fields: 'name,lifecycle' });
    if (bucket) return { name, rules: bucket.lifecycle?.rule ?? [] };
  }
  throw new ApiCallError(404, 'notFound', `no bucket ${candidates.map((name) => `gs://${name}`).join(' or ')} (name it with --bucket)`, 'GET storage/v1/b');
}

async function storageLifecycle(api: GoogleApiWriter, command: Command, bucket: { name: string; rules: LifecycleRule[] }, retention: StorageRetention, say: (line: string) => void): Promise<void> {
  const wanted = withRetention(bucket.rules, retention);
  const changes = PREFIXES.filter((prefix) => ruleAge(bucket.rules, prefix) !== retention[prefix]);
  for (const prefix of PREFIXES) {
    const age = ruleAge(bucket.rules, prefix);
    const line = `lifecycle gs://${bucket.name}/${STORAGE_PREFIXES[prefix]}: delete after ${retention[prefix]} days`;
    if (age === retention[prefix]) say(`${line} (as set)`);
    else if (command.name === 'status') say(`lifecycle gs://${bucket.name}/${STORAGE_PREFIXES[prefix]}: ${age === null ? 'no rule' : `deletes after ${age} days`} (wanted: ${retention[prefix]} days)`);
    else say(`${line} (${command.dryRun ? 'would set' : 'set'}; was ${age === null ? 'no rule' : `${age} days`})`);
  }
  if (command.name === 'apply' && !command.dryRun && changes.length > 0) {
    // A PATCH of `lifecycle` replaces all the rules: `wanted` carries the bucket's other rules along.
    await api.patch('storage', `storage/v1/b/${encodeURIComponent(bucket.name)}`, { fields: 'name,lifecycle' }, { lifecycle: { rule: wanted } });
  }
}

async function ttlPolicy(api: GoogleApiWriter, command: Command, group: string, say: (line: string) => void): Promise<void> {
  const path = ttlFieldPath(command.project, group);
  const field = await api.getOrNull<FirestoreField>('firestore', path);
  const state = field?.ttlConfig?.state ?? null;
  const name = `ttl ${group}.${TTL_FIELD}`;
  if (state === 'ACTIVE' || state === 'CREATING') return void say(`${name}: ${state}${state === 'CREATING' ? ' (documents are deleted once it is ACTIVE)' : ''}`);
  if (command.name === 'status') return void say(`${name}: ${state ?? 'off'}`);
  if (command.dryRun) return void say(`${name}: would turn on (now ${state ?? 'off'})`);
  const { body } = await api.patch<{ name?: string }>('firestore', path, { updateMask: 'ttlConfig' }, { ttlConfig: {} });
  say(`${name}: turning on (operation ${body.name ?? 'started'}; it becomes ACTIVE within minutes to hours)`);
}

function parseCommand(args: string[], env: Record<string, string | undefined>): Command | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        project: { type: 'string' },
        location: { type: 'string', default: DEFAULT_LOCATION },
        bucket: { type: 'string' },
        'video-days': { type: 'string' },
        'upload-days': { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    // Checked by shape: parseArgs' TypeError may come from another realm (Jest's VM) than our Error.
    const message = (error as { message?: unknown } | null)?.message;
    throw new UsageError(typeof message === 'string' ? message : String(error));
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  const [name, ...rest] = positionals;
  if (name !== 'status' && name !== 'apply') throw new UsageError(name ? `unknown command '${name}': status or apply` : 'give a command: status or apply');
  if (rest.length > 0) throw new UsageError(`unexpected argument '${rest[0]}'`);
  const project = values.project ?? env.GOOGLE_CLOUD_PROJECT;
  if (!project) throw new UsageError('--project is required (or set GOOGLE_CLOUD_PROJECT)');
  if (!/^[a-z][a-z0-9:.-]{4,61}[a-z0-9]$/.test(project) || project.startsWith('demo-')) throw new UsageError(`--project: '${project}' is not a deployed project's id`);
  if (values['dry-run'] && name !== 'apply') throw new UsageError('--dry-run goes with apply');
  if (values.bucket !== undefined && !/^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/.test(values.bucket)) throw new UsageError(`--bucket: '${values.bucket}' is not a bucket name (no gs://)`);
  const days = (flag: 'video-days' | 'upload-days'): number | undefined => {
    const value = values[flag];
    if (value === undefined) return undefined;
    const number = Number(value);
    if (!Number.isInteger(number) || number < 1 || number > 3650) throw new UsageError(`--${flag}: '${value}' is not a whole number of days from 1 to 3650`);
    return number;
  };
  const videos = days('video-days');
  const uploads = days('upload-days');
  return {
    name,
    project,
    location: values.location,
    ...(values.bucket ? { bucket: values.bucket } : {}),
    given: { ...(videos ? { videos } : {}), ...(uploads ? { uploads } : {}) },
    dryRun: values['dry-run'],
  };
}
