import { LIMIT_DEFAULTS, LIMITS_DOCUMENT, LimitsSchema, describeIssues } from '@vidgen/contract';
import type { Context } from '../context';
import { fromRestFields, getDocument } from '../firestore';
import { fail, ok, warn, type CheckResult } from '../report';

const d = LIMIT_DEFAULTS;
/** What a missing document means, from the contract's defaults. */
const DEFAULTS_TEXT =
  `not paused; budgets $${d.globalMonthlyBudgetUsd} a month, $${d.userDailyBudgetUsd} a day per user, $${d.anonymousUserDailyBudgetUsd} a day per anonymous user; ` +
  `${d.userJobsPerMinute} jobs a minute per user; anonymous users: ${d.anonymousModels.join(', ')}; every tier on`;

/** `config/limits` is valid against the contract's LimitsSchema; a missing document means defaults. */
export async function checkLimits(context: Context): Promise<CheckResult[]> {
  const check = LIMITS_DOCUMENT;
  const edit = `edit ${LIMITS_DOCUMENT} in the Firebase console (Firestore) of ${context.project}`;
  const document = await getDocument(context.api, context.project, LIMITS_DOCUMENT);
  if (!document) return [warn(check, `does not exist: the defaults apply (${DEFAULTS_TEXT})`, `${edit} to set live limits`)];
  const parsed = LimitsSchema.safeParse(fromRestFields(document.fields));
  if (!parsed.success) return [fail(check, `invalid (the service ignores these fields and applies their defaults): ${describeIssues(parsed.error).join('; ')}`, edit)];
  const set = Object.entries(parsed.data).map(([key, value]) => `${key}=${JSON.stringify(value)}`);
  return [ok(check, set.length > 0 ? `valid: ${set.join(' ')}` : 'valid, empty: the defaults apply')];
}
