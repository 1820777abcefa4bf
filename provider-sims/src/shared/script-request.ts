import { z } from 'zod';
import { describeZodError } from './zod-message';

/**
 * Reads a `POST /sim/script` body: one spec, an array of them, or `{ script: [...] }`. Answers the
 * specs, or a message naming each bad field (`outcome: ...`, `1.times: ...`).
 */
export function parseScriptRequest<S extends z.ZodType>(schema: S, body: unknown): { ok: true; specs: Array<z.infer<S>> } | { ok: false; message: string } {
  const list = Array.isArray(body)
    ? { schema: z.array(schema), value: body }
    : body !== null && typeof body === 'object' && 'script' in body
      ? { schema: z.object({ script: z.array(schema) }).strict(), value: body }
      : undefined;
  if (!list) {
    const parsed = schema.safeParse(body);
    return parsed.success ? { ok: true, specs: [parsed.data] } : { ok: false, message: describeZodError(parsed.error) };
  }
  const parsed = list.schema.safeParse(list.value);
  if (!parsed.success) return { ok: false, message: describeZodError(parsed.error) };
  const data = parsed.data;
  return { ok: true, specs: Array.isArray(data) ? data : data.script };
}
