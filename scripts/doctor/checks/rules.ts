import type { Context } from '../context';
import { expectedRules } from '../expected';
import { fail, ok, type CheckResult } from '../report';

interface Release {
  rulesetName?: string;
  updateTime?: string;
}

interface Ruleset {
  name?: string;
  source?: { files?: { name?: string; content?: string }[] };
}

/** Line endings and trailing blank space do not change rules. */
const normalize = (source: string): string => source.replace(/\r\n/g, '\n').trimEnd();

/**
 * The Firestore rules released to the (default) database, and the Storage rules released to the
 * bucket, are firestore.rules and storage.rules as they are in this checkout (Firebase Rules API:
 * releases/cloud.firestore, releases/firebase.storage/BUCKET, as firebase deploy names them).
 */
export async function checkRules(context: Context): Promise<CheckResult[]> {
  const local = expectedRules(context.root);
  const targets = [
    { check: 'firestore rules', release: 'cloud.firestore', ...local.firestore, deploy: 'firestore:rules' },
    { check: 'storage rules', release: context.bucketFound ? `firebase.storage/${context.bucket}` : undefined, ...local.storage, deploy: 'storage' },
  ];
  const results: CheckResult[] = [];
  for (const target of targets) {
    const deploy = `npx firebase deploy --only ${target.deploy} --project ${context.project}`;
    if (!target.release) {
      results.push(fail(target.check, 'not checked: no bucket', 'see the bucket line above'));
      continue;
    }
    const release = await context.api.getOrNull<Release>('firebaserules', `v1/projects/${context.project}/releases/${target.release}`);
    if (!release?.rulesetName) {
      results.push(fail(target.check, `never released (releases/${target.release})`, deploy));
      continue;
    }
    const ruleset = await context.api.getOrNull<Ruleset>('firebaserules', `v1/${release.rulesetName}`);
    const files = ruleset?.source?.files ?? [];
    const deployed = normalize(files.map((file) => file.content ?? '').join('\n'));
    const id = release.rulesetName.split('/').pop();
    if (deployed !== normalize(target.source)) {
      results.push(fail(target.check, `the released ruleset ${id} differs from ${target.file}`, deploy));
      continue;
    }
    results.push(ok(target.check, `ruleset ${id}${release.updateTime ? ` (released ${release.updateTime})` : ''} is ${target.file}`));
  }
  return results;
}
