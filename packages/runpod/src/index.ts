/** A typed client for RunPod's REST API v2: pods, pod actions and pod billing. */
export { RunpodClient, RUNPOD_API_URL, type RunpodClientOptions, type CallOptions } from './client';
export { createPodOnFirstAvailable, type PlacedPod } from './create-with-fallback';
export { parseRunpodApiKey, RUNPOD_AUTOSCALING_OFF, type RunpodApiKeySetting } from './api-key';
export {
  RunpodError,
  RunpodCapacityError,
  RunpodNoCapacityError,
  RunpodNotFoundError,
  RunpodAuthError,
  RunpodRateLimitError,
  isRunpodError,
  RUNPOD_ERROR_CODES,
  type RunpodErrorCode,
  type RunpodErrorContext,
} from './errors';
export {
  PodSchema,
  PodStatusSchema,
  PodActionSchema,
  CloudSchema,
  ListPodsResponseSchema,
  type Pod,
  type PodStatus,
  type PodAction,
  type Cloud,
  type PodMounts,
  type NetworkMount,
  type CreatePodRequest,
  type UpdatePodRequest,
} from './pod';
export {
  ListPodBillingResponseSchema,
  PodBillingRecordSchema,
  BillingBucketSizeSchema,
  type ListPodBillingResponse,
  type PodBillingRecord,
  type PodBillingAmounts,
  type PodBillingQuery,
  type BillingBucketSize,
} from './billing';
export { ProblemSchema, type Problem } from './problem';
export { DEFAULT_RETRY_POLICY, retryDelayMs, parseRetryAfter, type RetryPolicy } from './retry-policy';
