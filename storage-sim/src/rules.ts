import type { IncomingHttpHeaders } from 'node:http';
import { z } from 'zod';

/** Uploads larger than this are refused, as `request.resource.size < 10 * 1024 * 1024` in storage.rules. */
export const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;

/** `request.resource.contentType.matches('image/(png|jpeg|webp)')`: a whole-string match, as in the rules language. */
const UPLOAD_CONTENT_TYPE = /^image\/(png|jpeg|webp)$/;

const TokenPayloadSchema = z.object({
  user_id: z.string().min(1).optional(),
  sub: z.string().min(1).optional(),
});

/**
 * The uid of the caller from `Authorization: Firebase <ID token>` (the web SDK's header; `Bearer` is
 * accepted too), or null when there is none or it is not a JWT.
 *
 * The token is DECODED, NOT VERIFIED: its signature is not checked. That is right for the local stack
 * only, where the Auth emulator issues unsigned tokens (`alg: none`) and the Storage emulator reads
 * them the same way; nothing here may ever sit in front of real data.
 */
export function uidFromAuthorization(header: string | undefined): string | null {
  const match = /^(?:Firebase|Bearer) ([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]*)$/.exec(header ?? '');
  if (!match) return null;
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(match[2]!, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  const parsed = TokenPayloadSchema.safeParse(payload);
  if (!parsed.success) return null;
  return parsed.data.user_id ?? parsed.data.sub ?? null;
}

/**
 * Whether a request on the Firebase API comes from server code, which Firebase Storage lets past the
 * rules: the Storage emulator's admin credential (`Authorization: Bearer owner`), or the Cloud
 * Storage client library with no credentials at all. The latter is firebase-admin's
 * `getDownloadURL`, which reads `downloadTokens` from this API through @google-cloud/storage, and
 * that client sends no credentials to an emulator host (the Storage emulator then refuses it:
 * firebase-tools#8070); in production the request carries the service account's OAuth token.
 *
 * Nothing is verified, as with {@link uidFromAuthorization}: any local process could claim either,
 * as it could reach the Cloud Storage JSON API beside this one, which has no rules at all. Local only.
 */
export function isAdminRequest(headers: IncomingHttpHeaders): boolean {
  const { authorization } = headers;
  if (authorization === 'Bearer owner' || authorization === 'Firebase owner') return true;
  const client = headers['x-goog-api-client'];
  return authorization === undefined && typeof client === 'string' && /(^|\s)gccl\//.test(client);
}

/**
 * Whether an object name is one the store can hold as named: no empty, `.` or `..` segments (Cloud
 * Storage keeps such names literally, but on disk they would resolve to another object than the one
 * the rules were checked against), and no name that would clash with the store's own sidecar files.
 */
export function isStorableName(name: string): boolean {
  if (name.length === 0 || name.length > 1024 || name.includes('\0')) return false;
  if (name.endsWith('.meta.json')) return false;
  return name.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}

/** The owner folder's uid of a path under `top/{uid}/...`, or null. */
function ownerOf(name: string, top: 'uploads' | 'videos'): string | null {
  const [first, uid, ...rest] = name.split('/');
  return first === top && uid && rest.length > 0 ? uid : null;
}

/** storage.rules, `allow read`: only the owner reads `uploads/{uid}/**` and `videos/{uid}/**`; nothing else is readable. */
export function mayRead(name: string, uid: string | null): boolean {
  if (uid === null) return false;
  return ownerOf(name, 'uploads') === uid || ownerOf(name, 'videos') === uid;
}

/**
 * storage.rules, `allow create, update`: the signed-in owner writes into `uploads/{uid}/**` only, an
 * image (png, jpeg or webp) under 10 MiB. Everything else, `videos/` included, is written by server
 * code alone.
 */
export function mayWrite(name: string, uid: string | null, resource: { size: number; contentType: string }): boolean {
  if (uid === null || ownerOf(name, 'uploads') !== uid) return false;
  return resource.size < MAX_UPLOAD_BYTES && UPLOAD_CONTENT_TYPE.test(resource.contentType);
}
