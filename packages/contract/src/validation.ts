import type { z } from 'zod';

/** Turns zod issues into sentences that name the field: "prompt: must be at most 2000 characters". */
export function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => `${[...issue.path, key].join('.')}: is not a known field`).join('; ');
    }
    const field = issue.path.length > 0 ? issue.path.join('.') : 'request';
    return `${field}: ${issue.message}`;
  });
}

/** Parses or throws one Error whose message lists every problem; for trust boundaries inside our own system. */
export function parseOrThrow<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw new Error(`${what} is invalid: ${describeIssues(result.error).join('; ')}`);
  return result.data;
}
