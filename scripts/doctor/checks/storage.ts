import type { Context } from '../context';
import { fail, ok, warn, type CheckResult } from '../report';

interface Bucket {
  name?: string;
  iamConfiguration?: { uniformBucketLevelAccess?: { enabled?: boolean } };
}

/**
 * The bucket exists and uses uniform bucket-level access, which the IAM conditions of the roles table
 * need. Without --bucket or the functions' STORAGE_BUCKET it looks for the project's default bucket:
 * PROJECT.firebasestorage.app (projects since late 2024), else PROJECT.appspot.com. Sets context.bucket.
 */
export async function checkBucket(context: Context): Promise<CheckResult[]> {
  const candidates = context.bucket ? [context.bucket] : [`${context.project}.firebasestorage.app`, `${context.project}.appspot.com`];
  for (const name of candidates) {
    const bucket = await context.api.getOrNull<Bucket>('storage', `storage/v1/b/${encodeURIComponent(name)}`);
    if (!bucket) continue;
    context.bucket = name;
    context.bucketFound = true;
    const check = `bucket gs://${name}`;
    if (bucket.iamConfiguration?.uniformBucketLevelAccess?.enabled !== true) {
      return [warn(check, 'uniform bucket-level access is off: the IAM conditions of the roles table cannot be set', `gcloud storage buckets update gs://${name} --uniform-bucket-level-access`)];
    }
    return [ok(check, 'exists, uniform bucket-level access on')];
  }
  if (candidates.length > 1) context.bucket = undefined;
  return [fail(`bucket ${candidates.map((name) => `gs://${name}`).join(' or ')}`, 'not found', 'create Storage in the Firebase console (Build > Storage), or name the bucket with --bucket')];
}
