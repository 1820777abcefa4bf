import { createHash } from 'node:crypto';
import type { DocumentSnapshot } from 'firebase-admin/firestore';
import { logger } from 'firebase-functions';
import { HttpsError, type CallableRequest } from 'firebase-functions/v2/https';
import {
  COLLECTIONS,
  createJob,
  CreateVideoJobRequestSchema,
  daysAfter,
  IDEMPOTENCY_RETENTION_DAYS,
  isOwnUpload,
  planFor,
  type CreateVideoJobRequest,
  type CreateVideoJobResponse,
  type Tier,
} from '@vidgen/contract';
import { describeEnqueueFailure, enqueueAttempt, optimistically, spendLedgerRefs } from '@vidgen/contract/admin';
import { retentionOf } from '../config';
import type { Services } from '../services';
import { callableSettings, parseInput, requireUser } from './callable-errors';
import { LostCommits } from './lost-commits';
import { controlledPlan, isAnonymous, reserveOrRefuse, worstCaseMicroUsd } from './spend-gate';

/** Stable field a log-based metric counts: hand-offs to the task queue that failed (README, "Log-based metrics"). */
export const ENQUEUE_FAILED_METRIC = 'enqueue_failed';

/**
 * Calls of one user race for their quota counter; each round one of them wins, so allow as many
 * rounds as a burst of one user's calls could need, each a read and a commit.
 */
const CREATE_RETRY = { maxTries: 30, baseDelayMs: 10, maxDelayMs: 400 };

/** How a first attempt's hand-off to the queue went, and how long it took. */
type HandOff = { enqueued: true; enqueueMs: number } | { enqueued: false; enqueueMs: number; error: unknown };

/** Hands a job's first attempt to the queue; never rejects, so it can run beside the commit and be awaited after it. */
async function handOffFirstAttempt(services: Services, jobId: string): Promise<HandOff> {
  const started = Date.now();
  try {
    await enqueueAttempt(services.taskQueues, { jobId, attemptIndex: 0, dispatchCount: 0 });
    return { enqueued: true, enqueueMs: Date.now() - started };
  } catch (error) {
    return { enqueued: false, enqueueMs: Date.now() - started, error };
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The tiers to try, or `invalid-argument` with what no tier (or the image path) allows. */
function planOrRefuse(request: CreateVideoJobRequest, uid: string, veoModel: string): Tier[] {
  if (request.referenceImagePath && !isOwnUpload(request.referenceImagePath, uid)) {
    throw new HttpsError('invalid-argument', `referenceImagePath: must be one of your own uploads, under uploads/${uid}/`);
  }
  const plan = planFor(request.model, request, { veoModel });
  if (!plan.ok) throw new HttpsError('invalid-argument', plan.refusals.join('; '));
  return plan.plan;
}

/**
 * Validates the request, applies the live controls of `config/limits`, creates `jobs/{jobId}`
 * (queued) in one atomic commit with the per-user limit, the idempotency record and the job's
 * budget reservation, and hands the first attempt to the task queue while that commit is in flight.
 */
export async function createVideoJob(request: CallableRequest<unknown>, services: Services): Promise<CreateVideoJobResponse> {
  const config = callableSettings('createVideoJob');
  const uid = requireUser(request, config);
  const input = parseInput(CreateVideoJobRequestSchema, request.data);
  const anonymous = isAnonymous(request);
  const limits = await services.limits.get(config.LIMITS_CACHE_SECONDS * 1000);
  const plan = controlledPlan(input, planOrRefuse(input, uid, config.VEO_MODEL), anonymous, limits);
  const worstCase = worstCaseMicroUsd(input, plan, config);

  const { db } = services;
  const jobs = db.collection(COLLECTIONS.jobs);
  const requestHash = sha256(JSON.stringify(input));
  const keyRef = input.idempotencyKey
    ? db.collection(COLLECTIONS.idempotencyKeys).doc(sha256(`${uid}:${input.idempotencyKey}`))
    : null;
  const limit = config.MAX_ACTIVE_JOBS_PER_USER;

  // Optimistic, as every job write (see JobRepository.transition): read the idempotency record and the
  // quota counter, decide, and commit only if neither changed meanwhile (the counter's updateTime; the
  // creates fail if someone else made the record first); a loser reads again. No lock is held, so
  // concurrent calls of one user, and the job ends that decrement the counter, never wait on one another.
  const quotaRef = services.jobs.quotaRef(uid);
  // One id for every round, so that the first attempt's task, handed to the queue beside the first
  // commit, names the job whichever round creates it.
  const jobRef = jobs.doc();
  let handOff: Promise<HandOff> | null = null;
  const started = Date.now();
  let rounds = 0;
  const lost = new LostCommits();
  const outcome = await optimistically(async () => {
    rounds += 1;
    // One round trip for everything the decision needs; this machine's clock picks the day's and
    // month's ledgers, and reserveSpend reads them again in the rare case Firestore's clock disagrees.
    const ledgerRefs = spendLedgerRefs(db, uid, new Date());
    const [quota, ...rest] = (await db.getAll(quotaRef, ...(keyRef ? [keyRef] : []), ...ledgerRefs)) as [DocumentSnapshot, ...DocumentSnapshot[]];
    lost.reread([quota, ...rest]);
    const existing: DocumentSnapshot | undefined = keyRef ? rest.shift() : undefined;
    if (existing?.exists) {
      const record = existing.data() as { jobId: string; requestHash: string };
      if (record.requestHash !== requestHash) {
        throw new HttpsError('failed-precondition', 'idempotencyKey: was already used for a different request; use a new key');
      }
      return { jobId: record.jobId, created: false, shards: 0, commitMs: 0 };
    }
    // A counter per user rather than a query over jobs: a query would have to be repeated and
    // compared at commit, and every worker's progress write touches those jobs.
    const active = Number(quota.get('active') ?? 0);
    if (active >= limit) {
      throw new HttpsError('resource-exhausted', `You already have ${active} videos in progress (the limit is ${limit}); wait for one to finish or cancel one.`);
    }
    // Firestore's clock, as for every later write to the job (see JobRepository.transition).
    const now = quota.readTime.toDate();
    // The rate and the budgets; refused, nothing is written.
    const spend = await reserveOrRefuse(db, { uid, anonymous, limits, amountMicroUsd: worstCase, now, read: rest });
    const { job } = createJob({ ownerUid: uid, request: input, plan, now, retentionDays: retentionOf(config) });
    const batch = db.batch();
    batch.create(jobRef, { ...job, ...spend.job });
    spend.addTo(batch);
    const counter = { ownerUid: uid, active: active + 1, updatedAt: now };
    if (quota.exists) batch.update(quotaRef, counter, { lastUpdateTime: quota.updateTime! });
    else batch.create(quotaRef, counter);
    if (keyRef) batch.create(keyRef, { ownerUid: uid, jobId: jobRef.id, requestHash, createdAt: now, expiresAt: daysAfter(now, IDEMPOTENCY_RETENTION_DAYS) });
    lost.conditionalOn([quota, ...(existing ? [existing] : []), ...spend.conditionalOn]);
    // The caller waits for the slower of the two, not for both in turn. The task may arrive before
    // the job: runAttempt waits a while for a first attempt's job (see placeAttempt); a task whose
    // job is never created (a later round refused, or found the key's job) finds nothing to do.
    handOff ??= handOffFirstAttempt(services, jobRef.id);
    await batch.commit();
    return { jobId: jobRef.id, created: true, shards: spend.job.reservation.shards.length, commitMs: Date.now() - started };
  }, CREATE_RETRY).finally(() => handOff);

  if (outcome.created) {
    // `rounds` and `commitMs` show contention on the user's documents and the month's shards: a round
    // past the first is a commit that lost to a concurrent one and read again; `lostOn` names the
    // documents a concurrent writer had changed under each lost commit; `shards`, how many of the
    // month's shards the reservation took from.
    logger.info('Job created', { jobId: outcome.jobId, uid, plan, rounds, lostOn: lost.changed, shards: outcome.shards, commitMs: outcome.commitMs });
    const handedOff = await handOff!;
    if (handedOff.enqueued) {
      // How long the hand-off took, beside the commit: the caller waited for the slower.
      logger.info('First attempt handed to the queue', { jobId: outcome.jobId, enqueueMs: handedOff.enqueueMs });
    } else {
      const { error } = handedOff;
      // The caller still gets its jobId: the job is saved and recoverable (its attempt is pending, and
      // the watchdog re-dispatches a pending attempt whose last hand-off is older than
      // WORKER_WAIT_SECONDS + 60 s; a worker with room pulls a ComfyUI attempt sooner). Throwing would
      // make the client retry and, without an idempotency key, create a second job.
      const failure = describeEnqueueFailure(error);
      logger.error(`Could not enqueue the first attempt of job ${outcome.jobId}: ${failure.fix}`, {
        metric: ENQUEUE_FAILED_METRIC,
        jobId: outcome.jobId,
        code: failure.code,
        transient: failure.transient,
        error: (error as Error).message,
      });
    }
  }
  return { jobId: outcome.jobId };
}
