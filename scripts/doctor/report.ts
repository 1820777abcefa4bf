import { ApiCallError } from './google-api';

export type Status = 'ok' | 'warn' | 'FAIL';

/** One line of the doctor's report. */
export interface CheckResult {
  status: Status;
  /** What was checked, e.g. "api cloudtasks.googleapis.com" or "queue runAttempt". */
  check: string;
  /** What was found. */
  detail: string;
  /** For warn and FAIL: the command (or the one step) that fixes it. */
  fix?: string;
}

export const ok = (check: string, detail: string): CheckResult => ({ status: 'ok', check, detail });
export const warn = (check: string, detail: string, fix?: string): CheckResult => ({ status: 'warn', check, detail, fix });
export const fail = (check: string, detail: string, fix: string): CheckResult => ({ status: 'FAIL', check, detail, fix });

/** "ok    queue runAttempt: ..." / "FAIL  api ...: disabled  -> fix: gcloud services enable ...". */
export function formatResult(result: CheckResult): string {
  const fix = result.fix && result.status !== 'ok' ? `  -> fix: ${result.fix}` : '';
  return `${result.status.padEnd(4)}  ${result.check}: ${result.detail}${fix}`;
}

/** Roles the account running the doctor needs: read everything, and read IAM policies. */
export const DOCTOR_ROLES = ['roles/viewer', 'roles/iam.securityReviewer'] as const;

/**
 * The line for a check that could not be made because an API call failed: what failed, and what to
 * do about the usual causes (no credentials, the API disabled, the doctor's account lacking a role).
 */
export function couldNotCheck(check: string, error: unknown, project: string, projectNumber?: string): CheckResult {
  if (!(error instanceof ApiCallError)) throw error;
  const detail = `could not check (${error.message})`;
  const quotaProject = `gcloud auth application-default set-quota-project ${project}`;
  const disabled = error.reason === 'SERVICE_DISABLED' || /has not been used in project|it is disabled/i.test(error.apiMessage);
  if (error.httpStatus === 401) return fail(check, detail, 'gcloud auth application-default login');
  if (/requires a quota project/i.test(error.apiMessage)) return fail(check, detail, quotaProject);
  if (error.httpStatus === 403 && disabled) {
    // User credentials without a quota project are billed to Google's own client project, where the
    // API is off: the ErrorInfo then names that project as the consumer, not ours.
    if (error.consumer && projectNumber && error.consumer !== `projects/${projectNumber}`) return fail(check, detail, quotaProject);
    const api = error.service ?? /([a-z0-9-]+\.googleapis\.com)/.exec(error.apiMessage)?.[1] ?? 'THE_API';
    const enable = `gcloud services enable ${api} --project=${project}`;
    return fail(check, detail, projectNumber ? enable : `${enable}  (if the message names another project: ${quotaProject})`);
  }
  if (error.httpStatus === 403) {
    return fail(check, detail, `run the doctor as an account with ${DOCTOR_ROLES.join(' and ')} on ${project}`);
  }
  return fail(check, detail, 'run the doctor again; if it persists, check https://status.cloud.google.com');
}

/** Runs `check`, turning a failed API call into its couldNotCheck line. */
export async function guarded(check: string, project: { project: string; projectNumber?: string }, run: () => Promise<CheckResult[]>): Promise<CheckResult[]> {
  try {
    return await run();
  } catch (error) {
    return [couldNotCheck(check, error, project.project, project.projectNumber)];
  }
}
