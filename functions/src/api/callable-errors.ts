import { HttpsError, type CallableRequest } from 'firebase-functions/v2/https';
import { describeIssues } from '@vidgen/contract';
import type { z } from 'zod';
import { enforceAppCheck } from '../config';

/** The caller's uid; `unauthenticated` when the request carries no signed-in user. */
export function requireUser(request: CallableRequest<unknown>): string {
  if (!request.auth?.uid) throw new HttpsError('unauthenticated', 'Sign in before calling this function.');
  if (enforceAppCheck.value() && !request.app) {
    throw new HttpsError('unauthenticated', 'This app must send an App Check token (App Check is enforced).');
  }
  return request.auth.uid;
}

/** Parses callable input, or throws `invalid-argument` naming each bad field and its rule. */
export function parseInput<T extends z.ZodType>(schema: T, data: unknown): z.infer<T> {
  const result = schema.safeParse(data ?? {});
  if (!result.success) throw new HttpsError('invalid-argument', describeIssues(result.error).join('; '));
  return result.data;
}
