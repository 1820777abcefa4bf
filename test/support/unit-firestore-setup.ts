import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { chooseFirestoreEmulator, gcloudFirestoreProcess } from '../../scripts/stack/firestore-emulator';
import type { ManagedProcess } from '../../scripts/stack/managed-process';
import { HOST } from '../../scripts/stack/ports';
import { UNIT_FIRESTORE_ENV } from './unit-firestore';

const ROOT = resolve(__dirname, '..', '..');

declare global {
  var vidgenUnitFirestore: ManagedProcess | undefined;
}

/** A port nothing listens on now, chosen by the system, so that the unit layer never meets a stack. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port: 0, host: HOST }, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Starts one Firestore emulator (the Google Cloud CLI's, as the stack does) on a free port for the
 * `unit` project; tests reach it through {@link UNIT_FIRESTORE_ENV}, each file in a project of its
 * own. Nothing else of the stack runs. With the variable already set, that emulator is used instead.
 */
export default async function unitFirestoreSetup(): Promise<void> {
  if (process.env[UNIT_FIRESTORE_ENV]) return;
  const emulator = chooseFirestoreEmulator();
  if (emulator.kind !== 'gcloud') {
    throw new Error(`The unit tests need the Google Cloud CLI's Firestore emulator (gcloud components install cloud-firestore-emulator), or ${UNIT_FIRESTORE_ENV}=host:port of a running Firestore emulator.`);
  }
  const port = await freePort();
  const logDir = join(ROOT, '.stack', 'unit');
  mkdirSync(logDir, { recursive: true });
  const proc = gcloudFirestoreProcess({ script: emulator.script, host: HOST, port, projectId: 'demo-vidgen-unit', rules: join(ROOT, 'firestore.rules'), logFile: join(logDir, 'firestore.log') });
  await proc.start();
  globalThis.vidgenUnitFirestore = proc;
  process.env[UNIT_FIRESTORE_ENV] = `${HOST}:${port}`;
}
