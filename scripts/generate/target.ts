import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { randomUUID } from 'node:crypto';
import { deleteApp, initializeApp, type FirebaseApp, type FirebaseOptions } from 'firebase/app';
import { connectAuthEmulator, getAuth, signInAnonymously, type Auth } from 'firebase/auth';
import { connectFirestoreEmulator, getFirestore, type Firestore } from 'firebase/firestore';
import { connectFunctionsEmulator, getFunctions, type Functions } from 'firebase/functions';
import { connectStorageEmulator, getStorage, type FirebaseStorage } from 'firebase/storage';
import { z } from 'zod';
import { initAppCheck, REGION, type AppCheckSetup } from '@vidgen/client';
import { CliError, EXIT } from './errors';

const HOST = '127.0.0.1';

/** The Firebase web SDK, set up for one project (real, or the local stack's emulators). */
export interface Target {
  /** For messages: "the local stack (demo-vidgen)" or "project my-app". */
  label: string;
  /** Whether this is the local stack, where network failures mean that it is not running. */
  local: boolean;
  app: FirebaseApp;
  auth: Auth;
  db: Firestore;
  functions: Functions;
  storage: FirebaseStorage;
  close(): Promise<void>;
}

/** What `npm start` writes to .stack/stack.json (scripts/stack/stack.ts `StackState`); the CLI needs this much of it. */
const StackStateSchema = z.object({
  projectId: z.string().min(1),
  region: z.string().min(1).optional(),
  ports: z.object({ auth: z.number().int(), firestore: z.number().int(), functions: z.number().int(), store: z.number().int() }),
});

/** The web app config from the Firebase console (Project settings > Your apps). */
const WebConfigSchema = z.looseObject({
  apiKey: z.string().min(1),
  projectId: z.string().min(1),
  appId: z.string().min(1).optional(),
  storageBucket: z.string().min(1).optional(),
  authDomain: z.string().optional(),
});

function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(top)'}: ${issue.message}`).join('; ');
}

async function readJson(file: string, what: string, missingHint: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new CliError(`${what} ${file} does not exist: ${missingHint}`);
    throw new CliError(`Could not read ${what} ${file}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new CliError(`${what} ${file} is not JSON`);
  }
}

/** Resolves when something accepts TCP connections on the port, rejects with the connect error otherwise. */
function probePort(port: number, timeoutMs = 3000): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: HOST, port });
    const done = (error?: Error) => {
      socket.destroy();
      if (error) reject(error);
      else resolve();
    };
    socket.setTimeout(timeoutMs, () => done(new Error(`no answer in ${timeoutMs} ms`)));
    socket.once('connect', () => done());
    socket.once('error', done);
  });
}

function makeTarget(config: FirebaseOptions, label: string, local: boolean, appCheck: AppCheckSetup | null): Target {
  // A name of its own, so that this app never meets another in the same process (tests, embedding).
  const app = initializeApp(config, `vidgen-cli-${randomUUID()}`);
  if (appCheck) initAppCheck(app, appCheck);
  return { label, local, app, auth: getAuth(app), db: getFirestore(app), functions: getFunctions(app, REGION), storage: getStorage(app), close: () => deleteApp(app) };
}

/**
 * The local stack whose state `npm start` (or a test stack) wrote to `stateFile`. Checks first that
 * its emulators and object store answer, so that a stopped stack is reported at once rather than as
 * an SDK retrying in the background.
 */
export async function localStackTarget(stateFile: string): Promise<Target> {
  const parsed = StackStateSchema.safeParse(await readJson(stateFile, 'The local stack state', 'is npm start running? (or pass --stack-state FILE, or --project-config for a real project)'));
  if (!parsed.success) throw new CliError(`The local stack state ${stateFile} is not a stack state: ${describeIssues(parsed.error)}`);
  const { projectId, ports } = parsed.data;
  const services: Array<[string, number]> = [['Auth emulator', ports.auth], ['Firestore emulator', ports.firestore], ['Functions emulator', ports.functions], ['object store', ports.store]];
  for (const [name, port] of services) {
    try {
      await probePort(port);
    } catch (error) {
      throw new CliError(`The local stack is not running: nothing answers at ${HOST}:${port} (${name}, ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}). Is npm start running?`);
    }
  }
  const target = makeTarget({ projectId, apiKey: 'demo-api-key', appId: 'demo-app', storageBucket: `${projectId}.appspot.com` }, `the local stack (${projectId})`, true, { emulator: true });
  connectAuthEmulator(target.auth, `http://${HOST}:${ports.auth}`, { disableWarnings: true });
  connectFirestoreEmulator(target.db, HOST, ports.firestore);
  connectFunctionsEmulator(target.functions, HOST, ports.functions);
  connectStorageEmulator(target.storage, HOST, ports.store);
  return target;
}

/**
 * A real Firebase project, from its web app config JSON. Its functions enforce App Check unless the
 * deployment turned it off: a terminal has no reCAPTCHA, so the CLI proves itself with a debug token
 * registered for that web app in the console.
 */
export async function projectTarget(configFile: string, appCheckDebugToken: string | null = null): Promise<Target> {
  const parsed = WebConfigSchema.safeParse(await readJson(configFile, 'The project config', 'download it from the Firebase console (Project settings > Your apps > Config)'));
  if (!parsed.success) throw new CliError(`The project config ${configFile} is not a Firebase web app config: ${describeIssues(parsed.error)}`, EXIT.usage);
  return makeTarget(parsed.data, `project ${parsed.data.projectId}`, false, appCheckDebugToken ? { debugToken: appCheckDebugToken } : null);
}

/** Signs in anonymously; resolves with the uid. */
export async function signIn(target: Target): Promise<string> {
  return (await signInAnonymously(target.auth)).user.uid;
}
