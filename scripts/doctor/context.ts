import type { CloudTasksClient } from '../queues/tasks-lib';
import type { GoogleApi } from './google-api';

/** A Cloud Functions v2 function as the REST API returns it (the fields the doctor reads). */
export interface CloudFunction {
  name: string;
  state?: string;
  environment?: string;
  buildConfig?: { runtime?: string };
  serviceConfig?: { service?: string; serviceAccountEmail?: string; environmentVariables?: Record<string, string> };
}

/** What every check gets: the clients, the target, and what earlier checks found out. */
export interface Context {
  api: GoogleApi;
  tasks: CloudTasksClient;
  project: string;
  location: string;
  /** Repository root: firebase.json, the rules and index files. */
  root: string;
  /** Set by the project check. */
  projectNumber: string;
  /** The functions' runtime firebase.json asks for. */
  runtime: string;
  /** Deployed functions by id (the functions check fills it). */
  functions: Map<string, CloudFunction>;
  /** The bucket (from --bucket, the functions' STORAGE_BUCKET, or the project's default bucket). */
  bucket?: string;
  /** Whether the bucket check found it. */
  bucketFound: boolean;
  /** The functions' runtime service account. */
  functionsAccount: string;
  /** The GPU workers' service account. */
  workerAccount: string;
  /** --bucket / --functions-sa / --worker-sa as given. */
  given: { bucket?: string; functionsAccount?: string; workerAccount?: string };
  /** This machine's clock, in ms (the worker check prefers Firestore's). */
  now: () => number;
}

/** The Cloud Run service id behind a deployed function, if it is deployed. */
export function runServiceOf(context: Context, fn: string): string | undefined {
  return context.functions.get(fn)?.serviceConfig?.service?.split('/').pop();
}
