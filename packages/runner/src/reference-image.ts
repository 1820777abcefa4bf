import { COLLECTIONS, isTerminal, JobError, type Job } from '@vidgen/contract';
import type { JobRepository } from '@vidgen/contract/admin';
import { readSmallObject, type ObjectStore } from '@vidgen/media';

/** The largest reference image a run reads into memory. */
export const REFERENCE_IMAGE_MAX_BYTES = 10 * 1024 * 1024;

/**
 * Reads the request's reference image from Storage for a backend that sends it on (ComfyUI's
 * upload, Veo, Replicate). A missing or oversized image fails the attempt as `reference_image_missing`.
 */
export async function readReferenceImage(store: ObjectStore, path: string): Promise<{ bytes: Buffer; mimeType: string }> {
  try {
    const image = await readSmallObject(store, path, REFERENCE_IMAGE_MAX_BYTES);
    return { bytes: image.bytes, mimeType: image.contentType };
  } catch (error) {
    throw new JobError('reference_image_missing', `The reference image ${path} could not be read: ${(error as Error).message}`);
  }
}

/**
 * Removes an ended job's reference image (`uploads/{uid}/...`) unless another of its owner's jobs
 * that has not ended names the same file. Clients upload one image per job, so this is almost
 * always the image's last use; the bucket's lifecycle rule on `uploads/` removes whatever is left
 * (an upload no job ever used) after a few days. Resolves with whether it removed the image.
 */
export async function releaseReferenceImage(jobs: JobRepository, store: ObjectStore, job: Job, jobId: string): Promise<boolean> {
  const path = job.request.referenceImagePath;
  if (!path || !isTerminal(job.state)) return false;
  // Two equality filters: served by Firestore's single-field indexes, no composite index needed.
  const users = await jobs
    .ref(jobId)
    .firestore.collection(COLLECTIONS.jobs)
    .where('ownerUid', '==', job.ownerUid)
    .where('request.referenceImagePath', '==', path)
    .get();
  const stillNeeded = users.docs.some((doc) => doc.id !== jobId && !isTerminal(doc.get('state') as Job['state']));
  if (stillNeeded) return false;
  await store.remove(path);
  return true;
}
