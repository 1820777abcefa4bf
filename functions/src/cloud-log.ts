import { logger } from 'firebase-functions';
import type { RunLog } from '@vidgen/runner';

/** A {@link RunLog} writing to Cloud Logging, every entry carrying `fields` (the job id, ...). */
export function cloudLog(fields: Record<string, unknown>): RunLog {
  return {
    info: (message, more = {}) => logger.info(message, { ...fields, ...more }),
    warn: (message, more = {}) => logger.warn(message, { ...fields, ...more }),
  };
}
