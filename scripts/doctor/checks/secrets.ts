import type { Context } from '../context';
import { EXPECTED_SECRETS } from '../expected';
import { fail, guarded, ok, type CheckResult } from '../report';

interface SecretVersion {
  name?: string;
  state?: string;
}

/** Each secret the functions declare exists and its latest version is enabled (values are never read). */
export async function checkSecrets(context: Context): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const secret of EXPECTED_SECRETS) {
    const check = `secret ${secret}`;
    const set = `npx firebase functions:secrets:set ${secret} --project ${context.project}  (the value, or "none" to leave its backend off)`;
    results.push(...(await guarded(check, context, async () => {
      const path = `v1/projects/${context.project}/secrets/${secret}`;
      if (!(await context.api.getOrNull('secretmanager', path))) return [fail(check, 'does not exist', set)];
      const latest = await context.api.getOrNull<SecretVersion>('secretmanager', `${path}/versions/latest`);
      if (!latest) return [fail(check, 'has no version', set)];
      const version = latest.name?.split('/').pop() ?? '?';
      if (latest.state !== 'ENABLED') return [fail(check, `latest version ${version} is ${latest.state ?? 'not enabled'}`, set)];
      return [ok(check, `version ${version} enabled`)];
    })));
  }
  return results;
}
