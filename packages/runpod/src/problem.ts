import { z } from 'zod';

/** RunPod v2 error bodies: RFC 9457 problem details (`application/problem+json`). */
export const ProblemSchema = z.looseObject({
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  errors: z.array(z.string()).optional().describe('one line per request-validation failure (422)'),
});
export type Problem = z.infer<typeof ProblemSchema>;

/** The body as a problem, or a stand-in built from the status when it is not one. */
export function readProblem(status: number, statusText: string, body: unknown): Problem {
  const parsed = ProblemSchema.safeParse(body);
  if (parsed.success) return parsed.data;
  const detail = typeof body === 'string' && body.trim() !== '' ? body.trim().slice(0, 500) : statusText || `HTTP ${status}`;
  return { title: statusText || `HTTP ${status}`, status, detail };
}
