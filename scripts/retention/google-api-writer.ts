import { GoogleApi, type ApiName, type ApiResponse, type Query } from '../doctor/google-api';

/**
 * The doctor's Google API client with PATCH added, for `npm run retention -- apply`: the only
 * changes it makes are a bucket's lifecycle rules and Firestore TTL policies. The doctor keeps the
 * read-only client.
 */
export class GoogleApiWriter extends GoogleApi {
  patch<T>(api: ApiName, path: string, query: Query, body: unknown): Promise<ApiResponse<T>> {
    return this.send<T>('PATCH', api, path, query, body);
  }
}
