import type Replicate from 'replicate';
import { JobError } from '@vidgen/contract';
import type { HostedRun } from './hosted-provider';
import { animateDiffInput, replicateClip, svdInput } from './replicate-models';

/** A call to Replicate's API with the provider's retries and error classes. */
export type ApiCall = <T>(fn: () => Promise<T>) => Promise<T>;

/**
 * Largest reference image sent inline as a data URI. Replicate's docs ("Input files") take data
 * URLs for files under 1 MB and ask for the files API (or a URL) above that.
 */
export const DATA_URI_MAX_BYTES = 1024 * 1024;

/**
 * The reference image as Replicate should get it: a data URI up to {@link DATA_URI_MAX_BYTES},
 * otherwise uploaded with `files.create` (`POST /v1/files`, multipart) and passed by its
 * `urls.get`, which Replicate resolves for predictions made with the same token.
 */
export async function imageForReplicate(client: Replicate, image: { bytes: Buffer; mimeType: string }, call: ApiCall): Promise<string> {
  if (image.bytes.length <= DATA_URI_MAX_BYTES) return `data:${image.mimeType};base64,${image.bytes.toString('base64')}`;
  const extension = image.mimeType.split('/')[1]?.replace('jpeg', 'jpg') ?? 'bin';
  const file = new File([new Uint8Array(image.bytes)], `reference.${extension}`, { type: image.mimeType });
  const created = (await call(() => client.files.create(file, { purpose: 'reference-image' }))) as { urls?: { get?: unknown } };
  const url = created.urls?.get;
  if (typeof url !== 'string') throw new JobError('provider_failed', 'Replicate\'s files API answered without a URL for the reference image.');
  return url;
}

/**
 * The prediction's input for the attempt's tier, built through that model's published schema
 * (`replicate-models.ts`). A request the model cannot make was never offered Replicate; if one
 * gets here anyway it is refused as `tier_unavailable` rather than run as something else.
 */
export async function predictionInput(client: Replicate, run: HostedRun, call: ApiCall): Promise<Record<string, unknown>> {
  const tier = run.attempt.tier;
  const chosen = replicateClip(tier, run.request);
  if (!chosen.ok) throw new JobError('tier_unavailable', chosen.reason);
  const base = { request: run.request, clip: chosen.clip, ...(run.params.steps !== undefined ? { steps: run.params.steps } : {}), ...(run.params.cfg !== undefined ? { cfg: run.params.cfg } : {}) };
  if (tier === 'animatediff') return animateDiffInput(base);
  const image = await run.referenceImage();
  if (!image) throw new JobError('tier_unavailable', 'Stable Video Diffusion on Replicate needs a reference image.');
  return svdInput({ ...base, image: await imageForReplicate(client, image, call) });
}
