import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { httpReady, ManagedProcess } from './managed-process';

/** The Google Cloud CLI's Firestore emulator script, when the CLI is installed. */
export function gcloudFirestoreEmulator(): string | null {
  const candidates = [process.env.CLOUD_FIRESTORE_EMULATOR];
  try {
    const sdkRoot = execFileSync('gcloud', ['info', '--format=value(installation.sdk_root)'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    candidates.push(join(sdkRoot, 'platform', 'cloud-firestore-emulator', 'cloud_firestore_emulator'));
  } catch {
    // no gcloud on PATH
  }
  candidates.push('/usr/lib/google-cloud-sdk/platform/cloud-firestore-emulator/cloud_firestore_emulator');
  return candidates.find((path): path is string => Boolean(path && existsSync(path))) ?? null;
}

/**
 * Which Firestore emulator to run: the gcloud one (Java 17 is enough, nothing to download) when it
 * is installed, else firebase-tools' own (Java 21 and a one-time download). FIRESTORE_EMULATOR=firebase forces the latter.
 */
export function chooseFirestoreEmulator(): { kind: 'gcloud'; script: string } | { kind: 'firebase' } {
  if (process.env.FIRESTORE_EMULATOR === 'firebase') return { kind: 'firebase' };
  const script = gcloudFirestoreEmulator();
  return script ? { kind: 'gcloud', script } : { kind: 'firebase' };
}

export function gcloudFirestoreProcess(args: { script: string; host: string; port: number; projectId: string; rules: string; logFile: string }): ManagedProcess {
  return new ManagedProcess({
    name: 'firestore',
    command: args.script,
    args: ['start', `--host=${args.host}`, `--port=${args.port}`, `--rules=${args.rules}`, `--project_id=${args.projectId}`],
    logFile: args.logFile,
    // The emulator answers its root with "Ok"; and the port must be its own (another program may hold it).
    ready: httpReady(`http://${args.host}:${args.port}/`, { what: 'the Firestore emulator', accepts: (body) => body.trim() === 'Ok' }),
    ports: [args.port],
    readyTimeoutMs: 60_000,
  });
}
