import type { RunpodClient, CallOptions } from './client';
import { RunpodCapacityError, RunpodError, RunpodNoCapacityError } from './errors';
import type { CreatePodRequest, Pod } from './pod';

/** A pod created by {@link createPodOnFirstAvailable}, and the refusals before it. */
export interface PlacedPod {
  pod: Pod;
  gpuTypeId: string;
  refused: Array<{ gpuTypeId: string; error: RunpodError }>;
}

/**
 * Creates a pod on the first GPU type in `gpuTypeIds` that RunPod can place, in order (RunPod's
 * create does not fall back by itself). A capacity refusal, or a 403 for a pool this account
 * cannot use, moves on to the next type; any other failure stops the search. When every type is
 * refused it throws {@link RunpodNoCapacityError} listing each refusal.
 */
export async function createPodOnFirstAvailable(
  client: RunpodClient,
  request: Omit<CreatePodRequest, 'gpu'> & { gpu?: Omit<NonNullable<CreatePodRequest['gpu']>, 'id'> },
  gpuTypeIds: readonly string[],
  options: CallOptions = {},
): Promise<PlacedPod> {
  const refused: PlacedPod['refused'] = [];
  for (const gpuTypeId of gpuTypeIds) {
    try {
      const pod = await client.createPod({ ...request, gpu: { ...request.gpu, id: gpuTypeId } }, options);
      return { pod, gpuTypeId, refused };
    } catch (error) {
      if (!(error instanceof RunpodCapacityError) && !(error instanceof RunpodError && error.status === 403)) throw error;
      refused.push({ gpuTypeId, error });
    }
  }
  throw new RunpodNoCapacityError(refused);
}
