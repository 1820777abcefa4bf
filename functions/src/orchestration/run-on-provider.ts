import { handOffAttempt, recordSegment, resolveTierParams, type Backend } from '@vidgen/contract';
import type { RepositoryResult } from '@vidgen/contract/admin';
import { claimLease, followUp, readReferenceImage, RunStopped, runUnderLease } from '@vidgen/runner';
import { cloudLog } from '../cloud-log';
import type { HostedProvider } from '../providers/hosted-provider';
import { followUpServices, type Services } from '../services';

/** The lease of a provider run unless PROVIDER_LEASE_SECONDS says otherwise. */
export const PROVIDER_LEASE_MS = 60_000;
const PROGRESS_INTERVAL_MS = 1000;

/**
 * Runs an attempt on a hosted provider inside this task invocation, holding a lease like a GPU
 * worker does: claimed with a conditional write, renewed while the provider works, every write fenced.
 * A redelivered task finds the lease live and does nothing; after the lease ran out it re-attaches
 * to the provider's saved job id. A chained run (Veo) may hand the attempt on to a next invocation
 * before this one's deadline; that one claims it afresh and goes on after the recorded segments.
 */
export async function runOnProvider(services: Services, jobId: string, attemptIndex: number, backend: Backend, provider: HostedProvider, leaseMs = PROVIDER_LEASE_MS): Promise<void> {
  const log = cloudLog({ jobId, attemptIndex, backend });
  const claim = await claimLease(services.jobs, jobId, { attemptIndex, backend, runnerId: `functions:${backend}`, leaseMs });
  if (!claim.ok) {
    log.info('Attempt not claimed', { refusal: claim.refusal });
    return;
  }
  const { job, leaseToken } = claim;
  const outputs = await services.outputs();
  const started = Date.now();
  const handedOff: { result: RepositoryResult | null } = { result: null };
  const end = await runUnderLease(
    { jobs: services.jobs, jobId, job, leaseToken, leaseMs, progressIntervalMs: PROGRESS_INTERVAL_MS, ...outputs, workRoot: outputs.workDir, log },
    (context) =>
      provider.run({
        jobId,
        attempt: job.attempt,
        request: job.request,
        params: resolveTierParams(job.attempt.tier, job.request),
        ...context,
        referenceImage: async () => {
          const path = job.request.referenceImagePath;
          return path ? readReferenceImage(outputs.store, path) : null;
        },
        invocationStartedAtMs: started,
        recordSegment: async (segment) => {
          const saved = await services.jobs.transition(jobId, (current, now) => recordSegment(current, { leaseToken, segment: { ...segment, completedAt: now }, now }));
          if (!saved.ok) throw new RunStopped('lease_lost', saved.refusal);
          const recorded = saved.job.attempt?.segments?.find((kept) => kept.operation === segment.operation);
          if (!recorded) throw new RunStopped('lease_lost', 'segment not recorded');
          log.info('Segment recorded', { operation: segment.operation, seconds: segment.seconds, costUsd: segment.costUsd });
          return recorded;
        },
        handOff: async () => {
          const result = await services.jobs.transition(jobId, (current, now) => handOffAttempt(current, { leaseToken, now }));
          if (!result.ok) throw new RunStopped('lease_lost', result.refusal);
          handedOff.result = result;
          throw new RunStopped('handed_off', 'the chain goes on in the next invocation');
        },
      }),
  );
  const seconds = () => Math.round((Date.now() - started) / 1000);
  if (end.kind === 'stopped') {
    // Whatever the run reports as its stop: once the hand-off was written the lease is gone, so the
    // job's listener may have stopped the run as `lease_lost` first. The written hand-off decides.
    if (handedOff.result) {
      const next = await followUp(followUpServices(services, log), jobId, handedOff.result);
      log.info('Chained run handed on to the next invocation', { next, seconds: seconds() });
    }
    return;
  }
  log.info('Hosted attempt finished', { outcome: end.result.outcome, applied: end.finished.ok, seconds: seconds() });
  await followUp(followUpServices(services, log), jobId, end.finished);
}
