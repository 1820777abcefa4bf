import type { CloudFunction, Context } from '../context';
import { EXPECTED_FUNCTIONS } from '../expected';
import { fail, ok, type CheckResult } from '../report';

/**
 * Each function of functions/src/index.ts is deployed in the region, ACTIVE, 2nd gen, on firebase.json's
 * runtime. Fills context.functions, and the functions' account and bucket where not given.
 */
export async function checkFunctions(context: Context): Promise<CheckResult[]> {
  const parent = `projects/${context.project}/locations/${context.location}`;
  const { body } = await context.api.list<CloudFunction>('cloudfunctions', `v2/${parent}/functions`, 'functions', { pageSize: 100 });
  for (const fn of body) context.functions.set(fn.name.split('/').pop() ?? fn.name, fn);
  const deploy = `npx firebase deploy --only functions --project ${context.project}`;

  const results = EXPECTED_FUNCTIONS.map((id): CheckResult => {
    const check = `function ${id}`;
    const fn = context.functions.get(id);
    if (!fn) return fail(check, `not deployed in ${context.location}`, deploy);
    const runtime = fn.buildConfig?.runtime ?? '(none)';
    const problems = [
      ...(fn.state === 'ACTIVE' ? [] : [`state ${fn.state ?? 'unknown'}`]),
      ...(fn.environment && fn.environment !== 'GEN_2' ? [`${fn.environment}, not GEN_2`] : []),
      ...(runtime === context.runtime ? [] : [`runtime ${runtime}, firebase.json wants ${context.runtime}`]),
    ];
    if (problems.length > 0) return fail(check, problems.join('; '), deploy);
    return ok(check, `ACTIVE, ${runtime}, runs as ${fn.serviceConfig?.serviceAccountEmail ?? '(default)'}`);
  });

  // runAttempt is the function that enqueues and stores: its account and bucket are the ones that matter.
  const runAttempt = context.functions.get('runAttempt');
  const deployedAccount = runAttempt?.serviceConfig?.serviceAccountEmail;
  if (!context.given.functionsAccount && deployedAccount) context.functionsAccount = deployedAccount;
  const bucket = runAttempt?.serviceConfig?.environmentVariables?.STORAGE_BUCKET;
  if (!context.given.bucket && bucket) context.bucket = bucket;
  const accounts = new Set(EXPECTED_FUNCTIONS.map((id) => context.functions.get(id)?.serviceConfig?.serviceAccountEmail).filter(Boolean));
  if (accounts.size > 1) {
    results.push(fail('function accounts', `the functions run as different accounts (${[...accounts].join(', ')}); the roles below are checked for ${context.functionsAccount}`, deploy));
  }
  return results;
}
