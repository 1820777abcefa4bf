import { deleteApp, getApps } from 'firebase-admin/app';

/** Closes the Admin SDK apps a test file opened, so their gRPC channels do not keep Jest alive. */
afterAll(async () => {
  await Promise.all(getApps().map((app) => deleteApp(app)));
});
