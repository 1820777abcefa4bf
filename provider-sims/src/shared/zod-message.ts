import type { z } from 'zod';

/** Zod issues as one clause per field: "durationSeconds: Invalid input". */
export function describeZodError(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(body)'}: ${issue.message}`).join('; ');
}
