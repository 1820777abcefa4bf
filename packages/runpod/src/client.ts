import { ListPodBillingResponseSchema, podBillingSearchParams, type ListPodBillingResponse, type PodBillingQuery } from './billing';
import { RunpodError } from './errors';
import { ListPodsResponseSchema, PodSchema, type CreatePodRequest, type Pod, type UpdatePodRequest } from './pod';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry-policy';
import { call, type CallSpec, type TransportSettings } from './transport';

/** RunPod's REST API v2 host; paths carry the `/v2` prefix. */
export const RUNPOD_API_URL = 'https://api.runpod.io';

/** Options of {@link RunpodClient}. */
export interface RunpodClientOptions {
  /** The API key, sent as `Authorization: Bearer <key>`. */
  apiKey: string;
  /** Default {@link RUNPOD_API_URL}; a simulator's URL in tests. */
  baseUrl?: string;
  /** Default the global fetch. */
  fetch?: typeof fetch;
  retry?: Partial<RetryPolicy>;
  /** Per try; default 30 s. */
  timeoutMs?: number;
  /** Source of backoff jitter in [0, 1); default Math.random. */
  random?: () => number;
}

/** Per-call options. */
export interface CallOptions {
  signal?: AbortSignal;
}

/**
 * A client for the pod and pod-billing routes of RunPod's REST API v2. Every method either
 * answers what RunPod answered, checked, or throws a {@link RunpodError}: capacity refusals,
 * unknown pods, bad keys and exhausted rate limits have their own classes.
 */
export class RunpodClient {
  private readonly settings: TransportSettings;

  constructor(options: RunpodClientOptions) {
    if (options.apiKey.trim() === '') throw new Error('RunpodClient needs an API key');
    this.settings = {
      baseUrl: options.baseUrl ?? RUNPOD_API_URL,
      apiKey: options.apiKey,
      fetch: options.fetch ?? ((input, init) => fetch(input, init)),
      retry: { ...DEFAULT_RETRY_POLICY, ...options.retry },
      timeoutMs: options.timeoutMs ?? 30_000,
      random: options.random ?? Math.random,
    };
  }

  /** `GET /v2/pods`: this account's pods (cluster members only when asked). */
  async listPods(options: CallOptions & { includeClusterPods?: boolean } = {}): Promise<Pod[]> {
    const query = options.includeClusterPods ? new URLSearchParams({ includeClusterPods: 'true' }) : undefined;
    const answer = await this.call({ method: 'GET', path: '/v2/pods', schema: ListPodsResponseSchema, ...(query ? { query } : {}), ...signal(options) });
    return answer.pods;
  }

  /** `GET /v2/pods/{id}`; a {@link RunpodNotFoundError} once the pod is deleted. */
  getPod(id: string, options: CallOptions = {}): Promise<Pod> {
    return this.call({ method: 'GET', path: podPath(id), schema: PodSchema, ...signal(options) });
  }

  /**
   * `POST /v2/pods`: places one GPU type (no fallback on RunPod's side) and answers the pod in
   * `PROVISIONING`. A refusal to place it is a {@link RunpodCapacityError}.
   */
  createPod(body: CreatePodRequest, options: CallOptions = {}): Promise<Pod> {
    return this.call({ method: 'POST', path: '/v2/pods', body, schema: PodSchema, placement: true, ...signal(options) });
  }

  /** `PATCH /v2/pods/{id}`. */
  updatePod(id: string, body: UpdatePodRequest, options: CallOptions = {}): Promise<Pod> {
    return this.call({ method: 'PATCH', path: podPath(id), body, schema: PodSchema, ...signal(options) });
  }

  /** Starts an `EXITED` or `ERROR` pod; a stopped pod may not get a GPU back ({@link RunpodCapacityError}). */
  startPod(id: string, options: CallOptions = {}): Promise<Pod> {
    return this.action(id, 'start', true, options);
  }

  /** Stops a pod, releasing its GPU and keeping its disk; it moves to `EXITED`. */
  stopPod(id: string, options: CallOptions = {}): Promise<Pod> {
    return this.action(id, 'stop', false, options);
  }

  /** Restarts a `RUNNING` pod's container in place. */
  restartPod(id: string, options: CallOptions = {}): Promise<Pod> {
    return this.action(id, 'restart', false, options);
  }

  /** `DELETE /v2/pods/{id}`: terminates the pod for good (a network volume is only detached). */
  async terminatePod(id: string, options: CallOptions = {}): Promise<void> {
    await call(this.settings, { method: 'DELETE', path: podPath(id), ...signal(options) });
  }

  /** `GET /v2/billing/pods`: spend per pod per time bucket, with totals. */
  podBilling(query: PodBillingQuery = {}, options: CallOptions = {}): Promise<ListPodBillingResponse> {
    return this.call({ method: 'GET', path: '/v2/billing/pods', query: podBillingSearchParams(query), schema: ListPodBillingResponseSchema, ...signal(options) });
  }

  private action(id: string, action: 'start' | 'stop' | 'restart', placement: boolean, options: CallOptions): Promise<Pod> {
    return this.call({ method: 'POST', path: `${podPath(id)}/action`, body: { action }, schema: PodSchema, placement, ...signal(options) });
  }

  private async call<T>(spec: CallSpec<T> & { schema: NonNullable<CallSpec<T>['schema']> }): Promise<T> {
    const value = await call(this.settings, spec);
    if (value === undefined) throw new RunpodError('runpod/unexpected-response', `${spec.method} ${spec.path}: empty answer`, { method: spec.method, path: spec.path });
    return value;
  }
}

function podPath(id: string): string {
  return `/v2/pods/${encodeURIComponent(id)}`;
}

function signal(options: CallOptions): { signal?: AbortSignal } {
  return options.signal ? { signal: options.signal } : {};
}
