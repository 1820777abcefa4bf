/** IAM policies as every Google API returns them (policy version 3: bindings may carry a condition). */
export interface Binding {
  role: string;
  members?: string[];
  condition?: { expression?: string; title?: string; description?: string };
}

export interface Policy {
  version?: number;
  etag?: string;
  bindings?: Binding[];
}

/**
 * Predefined roles that hold all the permissions of a role we need, among those an operator is likely
 * to have granted instead (basic roles, the service's admin role). Owner and Editor are broad; the
 * doctor accepts them with a warning.
 */
const INCLUDED_IN: Record<string, readonly string[]> = {
  'roles/datastore.user': ['roles/datastore.owner', 'roles/editor', 'roles/owner'],
  'roles/cloudtasks.enqueuer': ['roles/cloudtasks.admin', 'roles/editor', 'roles/owner'],
  'roles/iam.serviceAccountUser': ['roles/editor', 'roles/owner'],
  'roles/run.invoker': ['roles/run.admin', 'roles/editor', 'roles/owner'],
  'roles/storage.objectAdmin': ['roles/storage.admin', 'roles/editor', 'roles/owner'],
  'roles/storage.objectUser': ['roles/storage.objectAdmin', 'roles/storage.admin', 'roles/editor', 'roles/owner'],
  'roles/secretmanager.secretAccessor': ['roles/secretmanager.admin', 'roles/owner'],
};

/** One policy that may grant the role, and how it relates to what we need. */
export interface PolicyAt {
  /** "the project", "the bucket", "the account itself": for messages. */
  where: string;
  policy: Policy;
  /** True for the resource the table names; false for a broader one (the project) that also counts. */
  narrow: boolean;
}

export type Coverage =
  | { kind: 'exact' }
  | { kind: 'broader'; how: string }
  | { kind: 'conditional'; how: string }
  | { kind: 'missing' };

const RANK: Record<Coverage['kind'], number> = { exact: 3, broader: 2, conditional: 1, missing: 0 };

/**
 * Whether `email` holds `role` (or a role that includes it) through one of `policies`. `objectPath`
 * (projects/_/buckets/B/objects/videos/) asks for a bucket grant limited to the objects under it: an
 * IAM condition `resource.name.startsWith("<objectPath>")` is exact; a condition on a shorter prefix,
 * or none, is broader. The doctor reads conditions only that far: a condition with `&&`, or one on
 * anything else, is reported as conditional (granted, not evaluated). Grants through groups or
 * principal sets are not seen.
 */
export function coverage(policies: PolicyAt[], email: string, role: string, objectPath?: string): Coverage {
  const member = `serviceaccount:${email.toLowerCase()}`;
  let best: Coverage = { kind: 'missing' };
  for (const at of policies) {
    for (const binding of at.policy.bindings ?? []) {
      if (!(binding.members ?? []).some((m) => m.toLowerCase() === member)) continue;
      const sameRole = binding.role === role;
      if (!sameRole && !(INCLUDED_IN[role] ?? []).includes(binding.role)) continue;
      const found = judge(binding, at, sameRole, objectPath);
      if (RANK[found.kind] > RANK[best.kind]) best = found;
    }
  }
  return best;
}

function judge(binding: Binding, at: PolicyAt, sameRole: boolean, objectPath: string | undefined): Coverage {
  const through = sameRole ? '' : ` through ${binding.role}`;
  const expression = binding.condition?.expression;
  if (!expression) {
    if (sameRole && at.narrow && objectPath === undefined) return { kind: 'exact' };
    const whole = objectPath === undefined ? '' : ', without a condition';
    return { kind: 'broader', how: `granted on ${at.where}${through}${whole}` };
  }
  const title = binding.condition?.title ? `'${binding.condition.title}': ` : '';
  if (objectPath === undefined || expression.includes('&&')) {
    return { kind: 'conditional', how: `granted on ${at.where}${through} under condition ${title}${expression}` };
  }
  const prefixes = [...expression.matchAll(/resource\.name\.startsWith\(\s*["']([^"']*)["']\s*\)/g)].map((match) => match[1] ?? '');
  const covering = prefixes.filter((prefix) => objectPath.startsWith(prefix));
  if (covering.length === 0) {
    // A condition on other objects (another prefix, another bucket) does not grant these.
    return prefixes.length > 0 ? { kind: 'missing' } : { kind: 'conditional', how: `granted on ${at.where}${through} under condition ${title}${expression}` };
  }
  if (covering.includes(objectPath) && sameRole && at.narrow) return { kind: 'exact' };
  const shortest = covering.reduce((a, b) => (a.length <= b.length ? a : b));
  const scope = shortest === objectPath ? '' : `, condition allows every object under ${shortest}`;
  return { kind: 'broader', how: `granted on ${at.where}${through}${scope}` };
}
