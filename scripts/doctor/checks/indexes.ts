import type { Context } from '../context';
import { expectedIndexes, type ExpectedIndex, type IndexField } from '../expected';
import { fail, ok, warn, type CheckResult } from '../report';

/** A composite index as the Firestore Admin REST API (v1) returns it. */
interface RestIndex {
  name: string;
  queryScope?: string;
  fields?: IndexField[];
  state?: string;
}

const fieldKey = (field: IndexField): string => `${field.fieldPath} ${field.order ?? field.arrayConfig ?? ''}`.trim();

/** The index's identity: collection group, scope and fields, without the `__name__` Firestore appends. */
function indexKey(collectionGroup: string, queryScope: string, fields: IndexField[]): string {
  const own = fields.length > 1 && fields[fields.length - 1]?.fieldPath === '__name__' ? fields.slice(0, -1) : fields;
  return `${collectionGroup} ${queryScope} (${own.map(fieldKey).join(', ')})`;
}

const ORDER: Record<string, string> = { ASCENDING: 'asc', DESCENDING: 'desc', CONTAINS: 'array-contains' };

/** "jobs (ownerUid asc, createdAt desc)". */
const describe = (index: ExpectedIndex): string =>
  `${index.collectionGroup} (${index.fields.map((field) => `${field.fieldPath} ${ORDER[field.order ?? field.arrayConfig ?? ''] ?? ''}`.trim()).join(', ')})`;

/** Each composite index of firestore.indexes.json exists in the (default) database and is READY. */
export async function checkIndexes(context: Context): Promise<CheckResult[]> {
  const path = `v1/projects/${context.project}/databases/(default)/collectionGroups/-/indexes`;
  const { body } = await context.api.list<RestIndex>('firestore', path, 'indexes');
  const deployed = new Map<string, RestIndex>();
  for (const index of body) {
    const collectionGroup = index.name.split('/collectionGroups/')[1]?.split('/')[0] ?? '';
    deployed.set(indexKey(collectionGroup, index.queryScope ?? 'COLLECTION', index.fields ?? []), index);
  }
  const deploy = `npx firebase deploy --only firestore:indexes --project ${context.project}`;
  return expectedIndexes(context.root).map((expected) => {
    const check = `index ${describe(expected)}`;
    const index = deployed.get(indexKey(expected.collectionGroup, expected.queryScope, expected.fields));
    if (!index) return fail(check, 'missing', deploy);
    if (index.state === 'READY') return ok(check, 'READY');
    if (index.state === 'CREATING') {
      return warn(check, 'CREATING: queries that need it fail until it is built', `wait; watch it with: gcloud firestore indexes composite list --project=${context.project}`);
    }
    return fail(check, `state ${index.state ?? 'unknown'}`, `${deploy}  (NEEDS_REPAIR: delete the index in the console first)`);
  });
}
