import { z } from 'zod';
import pino from 'pino';
import { startLocalStoreServer } from './server';

/** Entry point of the local stack's object store server (the stand-in for the Storage emulator: Firebase's Storage API and the Cloud Storage JSON API). */
const env = z
  .object({ LOCAL_STORE_DIR: z.string(), HOST: z.string().default('127.0.0.1'), PORT: z.coerce.number().int().default(9199) })
  .parse(process.env);
const log = pino({ base: { component: 'local-store' } });

startLocalStoreServer({ root: env.LOCAL_STORE_DIR, host: env.HOST, port: env.PORT })
  .then((app) => {
    log.info({ root: env.LOCAL_STORE_DIR, port: env.PORT }, 'Local object store serving');
    const stop = () => void app.close().then(() => process.exit(0));
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  })
  .catch((error: Error) => {
    log.fatal({ err: error.message }, 'Local object store failed to start');
    process.exit(1);
  });
