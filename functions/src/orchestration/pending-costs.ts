import { logger } from 'firebase-functions';
import { attemptsAwaitingCost, settleAttemptCost, type AttemptRecord } from '@vidgen/contract';
import { parseJob } from '@vidgen/contract/admin';
import type { ReplicateProvider } from '../providers/replicate';
import type { Services } from '../services';

/** After this long without Replicate's figure, the recorded cost stands (Replicate removes a prediction's data within hours). */
const GIVE_UP_MS = 24 * 3_600_000;

export interface SettleReport {
  /** Attempts whose cost was read and added to their job. */
  settled: number;
  /** Attempts still waiting: their prediction had not ended yet, or Replicate could not be reached. */
  waiting: number;
}

/**
 * Reads what a job's ended attempts cost where only the provider knows: a Replicate prediction whose
 * job was cancelled, or whose runner died (the lease ran out). Each is cancelled if it still runs,
 * so it stops billing, and its `predict_time` charge is added to the attempt and the job. A
 * prediction that has not ended yet is left for the next sweep. Without a Replicate token nothing
 * more can be read: the recorded cost stands.
 */
export async function settleJobCosts(services: Services, jobId: string, data: unknown, replicate: ReplicateProvider | null, now: Date): Promise<SettleReport> {
  const report: SettleReport = { settled: 0, waiting: 0 };
  for (const record of attemptsAwaitingCost(parseJob(data, jobId))) {
    const costUsd = await readCost(jobId, record, replicate, now);
    if (costUsd === null) {
      report.waiting += 1;
      continue;
    }
    const result = await services.jobs.transition(jobId, (current, at) => settleAttemptCost(current, { attemptIndex: record.index, providerJobId: record.providerJobId, costUsd, now: at }));
    if (result.ok) {
      report.settled += 1;
      logger.info('Attempt cost read from its provider', { jobId, attemptIndex: record.index, backend: record.backend, costUsd });
    }
  }
  return report;
}

/** The attempt's final cost, or null to try again on a later sweep. */
async function readCost(jobId: string, record: AttemptRecord, replicate: ReplicateProvider | null, now: Date): Promise<number | null> {
  const fields = { jobId, attemptIndex: record.index, predictionId: record.providerJobId };
  if (record.backend !== 'replicate' || !record.providerJobId || !replicate) {
    logger.warn('No provider to read an attempt\'s cost from; its recorded cost stands', { ...fields, costUsd: record.costUsd });
    return record.costUsd;
  }
  const givingUp = now.getTime() - record.endedAt.getTime() > GIVE_UP_MS;
  try {
    const abandoned = await replicate.abandon(record.providerJobId, record.tier);
    if (abandoned.final) return abandoned.costUsd;
    logger.info('Prediction not ended yet after its cancel; its cost is read on a later sweep', { ...fields, status: abandoned.status });
  } catch (error) {
    logger.warn('Could not read a prediction\'s cost from Replicate', { ...fields, error: (error as Error).message });
  }
  if (!givingUp) return null;
  logger.warn('Gave up reading a prediction\'s cost; its recorded cost stands', { ...fields, costUsd: record.costUsd });
  return record.costUsd;
}
