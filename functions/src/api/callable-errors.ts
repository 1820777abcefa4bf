import { HttpsError, type CallableRequest } from 'firebase-functions/v2/https';
import { describeIssues } from '@vidgen/contract';
import type { z } from 'zod';
import { configOrNull, settings, type Settings } from '../config';
import { appCheckRefusal } from './app-check';

/** The parsed parameters; `internal` (logged loudly, naming the variable) when one is bad, so the first call after a bad deploy fails. */
export function callableSettings(functionName: string): Settings {
  const config = configOrNull(settings, functionName);
  if (!config) throw new HttpsError('internal', 'This service is misconfigured; try again once its operator has fixed it.');
  return config;
}

/** The caller's uid; `unauthenticated` when the request carries no signed-in user, or no App Check token while it is enforced. */
export function requireUser(request: CallableRequest<unknown>, config: Settings): string {
  if (!request.auth?.uid) throw new HttpsError('unauthenticated', 'Sign in before calling this function.');
  const refusal = appCheckRefusal(request, config);
  if (refusal) throw new HttpsError('unauthenticated', refusal);
  return request.auth.uid;
}

/** Parses callable input, or throws `invalid-argument` naming each bad field and its rule. */
export function parseInput<T extends z.ZodType>(schema: T, data: unknown): z.infer<T> {
  const result = schema.safeParse(data ?? {});
  if (!result.success) throw new HttpsError('invalid-argument', describeIssues(result.error).join('; '));
  return result.data;
}
