import { createHash } from 'node:crypto';
import { logger } from 'firebase-functions';
import { HttpsError, type CallableRequest } from 'firebase-functions/v2/https';
import {
  COLLECTIONS,
  createJob,
  CreateVideoJobRequestSchema,
  isOwnUpload,
  planFor,
  type CreateVideoJobRequest,
  type CreateVideoJobResponse,
  type Tier,
} from '@vidgen/contract';
import { enqueueAttempt } from '@vidgen/contract/admin';
import { maxActiveJobsPerUser } from '../config';
import type { Services } from '../services';
import { parseInput, requireUser } from './callable-errors';

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The tiers to try, or `invalid-argument` with what no tier (or the image path) allows. */
function planOrRefuse(request: CreateVideoJobRequest, uid: string): Tier[] {
  if (request.referenceImagePath && !isOwnUpload(request.referenceImagePath, uid)) {
    throw new HttpsError('invalid-argument', `referenceImagePath: must be one of your own uploads, under uploads/${uid}/`);
  }
  const plan = planFor(request.model, request);
  if (!plan.ok) throw new HttpsError('invalid-argument', plan.refusals.join('; '));
  return plan.plan;
}

/**
 * Validates the request, creates `jobs/{jobId}` (queued) in one transaction with the per-user limit
 * and the idempotency record, then hands the first attempt to the task queue.
 */
export async function createVideoJob(request: CallableRequest<unknown>, services: Services): Promise<CreateVideoJobResponse> {
  const uid = requireUser(request);
  const input = parseInput(CreateVideoJobRequestSchema, request.data);
  const plan = planOrRefuse(input, uid);

  const { db } = services;
  const jobs = db.collection(COLLECTIONS.jobs);
  const requestHash = sha256(JSON.stringify(input));
  const keyRef = input.idempotencyKey
    ? db.collection(COLLECTIONS.idempotencyKeys).doc(sha256(`${uid}:${input.idempotencyKey}`))
    : null;
  const limit = maxActiveJobsPerUser.value();

  const outcome = await db.runTransaction(async (tx) => {
    if (keyRef) {
      const existing = await tx.get(keyRef);
      if (existing.exists) {
        const record = existing.data() as { jobId: string; requestHash: string };
        if (record.requestHash !== requestHash) {
          throw new HttpsError('failed-precondition', 'idempotencyKey: was already used for a different request; use a new key');
        }
        return { jobId: record.jobId, created: false };
      }
    }
    // A counter per user rather than a query over jobs: a query in a transaction locks a range of
    // jobs that every worker's progress write touches, and calls then time out on the lock.
    const quotaRef = services.jobs.quotaRef(uid);
    const quota = await tx.get(quotaRef);
    const active = Number(quota.get('active') ?? 0);
    if (active >= limit) {
      throw new HttpsError('resource-exhausted', `You already have ${active} videos in progress (the limit is ${limit}); wait for one to finish or cancel one.`);
    }
    // Firestore's clock, as for every later write to the job (see JobRepository.transition).
    const now = quota.readTime.toDate();
    const jobRef = jobs.doc();
    const { job } = createJob({ ownerUid: uid, request: input, plan, now });
    tx.create(jobRef, job);
    tx.set(quotaRef, { ownerUid: uid, active: active + 1, updatedAt: now });
    if (keyRef) tx.create(keyRef, { ownerUid: uid, jobId: jobRef.id, requestHash, createdAt: now });
    return { jobId: jobRef.id, created: true };
  });

  if (outcome.created) {
    try {
      await enqueueAttempt(services.taskQueues, { jobId: outcome.jobId, attemptIndex: 0, dispatchCount: 0 });
    } catch (error) {
      // The job is saved; the watchdog re-dispatches a pending attempt that was never handed off.
      logger.error('Could not enqueue the first attempt', { jobId: outcome.jobId, error: String(error) });
    }
    logger.info('Job created', { jobId: outcome.jobId, uid, plan });
  }
  return { jobId: outcome.jobId };
}
