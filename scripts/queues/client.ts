import { CloudTasksClient } from './tasks-lib';
import { googleAuthLibrary } from 'google-gax';

/** Access token sent to a local server when CLOUD_TASKS_API_TOKEN does not name another. */
export const LOCAL_ACCESS_TOKEN = 'local-cloud-tasks-token';

/**
 * A Cloud Tasks v2 client. With no `apiUrl` it is the library's default: gRPC to
 * cloudtasks.googleapis.com with Application Default Credentials. With `apiUrl` (a local server that
 * speaks the Cloud Tasks REST API, e.g. http://127.0.0.1:8123) it uses google-gax's REST fallback
 * against that origin, and a fixed bearer token, because nothing local can mint Google credentials.
 */
export function createTasksClient(options: { apiUrl?: string; accessToken?: string } = {}): CloudTasksClient {
  if (!options.apiUrl) return new CloudTasksClient();
  const url = new URL(options.apiUrl);
  const protocol = url.protocol.replace(/:$/, '');
  // google-gax's REST stub builds `${protocol}://${apiEndpoint}:${port}/v2/...` (fallbackRest
  // encodeRequest): protocol defaults to https and port to 443, so both must be given for plain http.
  return new CloudTasksClient({
    fallback: true,
    protocol,
    apiEndpoint: url.hostname,
    port: url.port ? Number(url.port) : protocol === 'http' ? 80 : 443,
    authClient: localAuthClient(options.accessToken ?? LOCAL_ACCESS_TOKEN),
  });
}

/**
 * An OAuth2 client holding a fixed access token that never expires, so it never tries to refresh. It
 * sends with Node's own fetch: gaxios would otherwise load node-fetch with a dynamic import(), which
 * Jest's CommonJS runtime refuses.
 */
function localAuthClient(accessToken: string): googleAuthLibrary.OAuth2Client {
  const auth = new googleAuthLibrary.OAuth2Client({ transporterOptions: { fetchImplementation: fetch } });
  auth.setCredentials({ access_token: accessToken, token_type: 'Bearer', expiry_date: Date.UTC(2100, 0, 1) });
  return auth;
}
