import { DEFAULT_RETENTION_DAYS, DEFAULT_UPLOAD_RETENTION_DAYS, STORAGE_PREFIXES, TTL_COLLECTION_GROUPS, TTL_FIELD } from '@vidgen/contract';

/**
 * What retention a deployment should have, and how it reads in the Cloud Storage and Firestore
 * admin APIs: one Delete-by-age lifecycle rule per prefix, one TTL policy per collection group.
 * `npm run retention` writes it, `npm run doctor` compares the live project with it.
 */

/** A bucket lifecycle rule as the Cloud Storage JSON API gives it (the fields used here). */
export interface LifecycleRule {
  action?: { type?: string; storageClass?: string };
  condition?: { age?: number; matchesPrefix?: string[]; [other: string]: unknown };
}

/** How many days objects under each prefix are kept. */
export interface StorageRetention {
  videos: number;
  uploads: number;
}

export type Prefix = keyof typeof STORAGE_PREFIXES;
export const PREFIXES = Object.keys(STORAGE_PREFIXES) as Prefix[];

/** The days to keep, from flags first, then the deployed functions' VIDEO_RETENTION_DAYS, then the defaults. */
export function storageRetention(given: Partial<StorageRetention>, deployedEnv: Record<string, string> = {}): StorageRetention {
  const deployed = Number(deployedEnv.VIDEO_RETENTION_DAYS);
  return {
    videos: given.videos ?? (Number.isInteger(deployed) && deployed > 0 ? deployed : DEFAULT_RETENTION_DAYS.video),
    uploads: given.uploads ?? DEFAULT_UPLOAD_RETENTION_DAYS,
  };
}

/** Our rule for `prefix`: delete objects `days` old. */
export function deleteRule(prefix: Prefix, days: number): LifecycleRule {
  return { action: { type: 'Delete' }, condition: { age: days, matchesPrefix: [STORAGE_PREFIXES[prefix]] } };
}

/** Whether `rule` is ours for `prefix`: a plain Delete by age on exactly that prefix. */
function isOurs(rule: LifecycleRule, prefix: Prefix): boolean {
  const condition = rule.condition ?? {};
  const others = Object.keys(condition).filter((key) => key !== 'age' && key !== 'matchesPrefix');
  return rule.action?.type === 'Delete' && others.length === 0 && condition.matchesPrefix?.length === 1 && condition.matchesPrefix[0] === STORAGE_PREFIXES[prefix];
}

/** The age (days) our rule for `prefix` deletes at, or null when there is none. */
export function ruleAge(rules: LifecycleRule[], prefix: Prefix): number | null {
  const rule = rules.find((candidate) => isOurs(candidate, prefix));
  return typeof rule?.condition?.age === 'number' ? rule.condition.age : null;
}

/** The bucket's rules with ours set to `retention`; rules that are not ours are kept as they are. */
export function withRetention(rules: LifecycleRule[], retention: StorageRetention): LifecycleRule[] {
  const kept = rules.filter((rule) => !PREFIXES.some((prefix) => isOurs(rule, prefix)));
  return [...kept, ...PREFIXES.map((prefix) => deleteRule(prefix, retention[prefix]))];
}

/** The Firestore Admin API path of the TTL field of `collectionGroup`. */
export function ttlFieldPath(project: string, collectionGroup: string): string {
  return `v1/projects/${project}/databases/(default)/collectionGroups/${collectionGroup}/fields/${TTL_FIELD}`;
}

/** A Firestore field's configuration as the Admin API gives it (the part used here). */
export interface FirestoreField {
  name?: string;
  ttlConfig?: { state?: string };
}

export const TTL_GROUPS: readonly string[] = TTL_COLLECTION_GROUPS;

/** The command that writes the whole retention set-up. */
export const applyCommand = (project: string): string => `npm run retention -- apply --project ${project}`;
