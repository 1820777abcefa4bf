import { STORAGE_PREFIXES, TTL_FIELD } from '@vidgen/contract';
import { applyCommand, ruleAge, storageRetention, TTL_GROUPS, ttlFieldPath, type FirestoreField, type LifecycleRule } from '../../retention/policy';
import type { Context } from '../context';
import { fail, ok, warn, type CheckResult } from '../report';

/** Longest an unused reference upload should stay: "a few days at most". */
const UPLOADS_MAX_DAYS = 7;

/**
 * Stored videos do not grow without end: the bucket deletes videos/ after the functions'
 * VIDEO_RETENTION_DAYS, and uploads/ within a few days (lifecycle rules).
 */
export async function checkLifecycle(context: Context): Promise<CheckResult[]> {
  const fix = applyCommand(context.project);
  const env = context.functions.get('runAttempt')?.serviceConfig?.environmentVariables ?? {};
  const wanted = storageRetention({}, env);
  const results: CheckResult[] = [];
  const videosCheck = `lifecycle gs://${context.bucket ?? 'BUCKET'}/${STORAGE_PREFIXES.videos}`;
  const uploadsCheck = `lifecycle gs://${context.bucket ?? 'BUCKET'}/${STORAGE_PREFIXES.uploads}`;
  if (!context.bucket || !context.bucketFound) {
    results.push(fail(videosCheck, 'not checked: no bucket', 'see the bucket line above'), fail(uploadsCheck, 'not checked: no bucket', 'see the bucket line above'));
  } else {
    const bucket = await context.api.get<{ lifecycle?: { rule?: LifecycleRule[] } }>('storage', `storage/v1/b/${encodeURIComponent(context.bucket)}`, { fields: 'lifecycle' });
    const rules = bucket.body.lifecycle?.rule ?? [];
    const videos = ruleAge(rules, 'videos');
    if (videos === null) results.push(fail(videosCheck, 'no rule deletes videos: storage grows without end', fix));
    else if (videos !== wanted.videos) results.push(warn(videosCheck, `deletes after ${videos} days, but jobs say their videos expire after VIDEO_RETENTION_DAYS=${wanted.videos}`, fix));
    else results.push(ok(videosCheck, `deletes after ${videos} days (VIDEO_RETENTION_DAYS)`));
    const uploads = ruleAge(rules, 'uploads');
    if (uploads === null) results.push(fail(uploadsCheck, 'no rule deletes unused reference uploads', fix));
    else if (uploads > UPLOADS_MAX_DAYS) results.push(warn(uploadsCheck, `deletes after ${uploads} days: more than the ${UPLOADS_MAX_DAYS} an unused upload should stay`, fix));
    else results.push(ok(uploadsCheck, `deletes after ${uploads} days`));
  }
  return results;
}

/** Firestore deletes ended jobs and old idempotency records: a TTL policy on each one's `expiresAt`. */
export async function checkTtl(context: Context): Promise<CheckResult[]> {
  const fix = applyCommand(context.project);
  const results: CheckResult[] = [];
  for (const group of TTL_GROUPS) {
    const check = `ttl ${group}.${TTL_FIELD}`;
    const field = await context.api.getOrNull<FirestoreField>('firestore', ttlFieldPath(context.project, group));
    const state = field?.ttlConfig?.state;
    if (state === 'ACTIVE') results.push(ok(check, 'ACTIVE'));
    else if (state === 'CREATING') results.push(warn(check, 'CREATING: nothing is deleted until it is ACTIVE', `wait; watch it with: gcloud firestore fields ttls list --project=${context.project}`));
    else results.push(fail(check, `${state ?? 'off'}: these documents are never deleted`, fix));
  }
  return results;
}
