import { z } from 'zod';

/** WebSocket messages from ComfyUI that the worker acts on. Unknown types and extra fields are tolerated. */
const promptId = z.string();

export const ComfyMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('status'), data: z.looseObject({ status: z.looseObject({ exec_info: z.looseObject({ queue_remaining: z.number() }) }).optional(), sid: z.string().optional() }) }),
  z.object({ type: z.literal('execution_start'), data: z.looseObject({ prompt_id: promptId }) }),
  z.object({ type: z.literal('execution_cached'), data: z.looseObject({ prompt_id: promptId, nodes: z.array(z.string()) }) }),
  z.object({ type: z.literal('executing'), data: z.looseObject({ node: z.string().nullable(), prompt_id: promptId.optional() }) }),
  z.object({ type: z.literal('progress'), data: z.looseObject({ value: z.number(), max: z.number(), prompt_id: promptId.optional(), node: z.string().nullable().optional() }) }),
  z.object({ type: z.literal('executed'), data: z.looseObject({ node: z.string(), prompt_id: promptId, output: z.record(z.string(), z.unknown()).nullable() }) }),
  z.object({ type: z.literal('execution_success'), data: z.looseObject({ prompt_id: promptId }) }),
  z.object({
    type: z.literal('execution_error'),
    data: z.looseObject({
      prompt_id: promptId,
      node_id: z.string().optional(),
      node_type: z.string().optional(),
      exception_type: z.string().default(''),
      exception_message: z.string().default(''),
    }),
  }),
  z.object({ type: z.literal('execution_interrupted'), data: z.looseObject({ prompt_id: promptId }) }),
]);
export type ComfyMessage = z.infer<typeof ComfyMessageSchema>;

/** Parses a text frame; returns null for message types we do not follow (progress_state, crystools, ...). */
export function parseComfyMessage(text: string): ComfyMessage | null {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  const result = ComfyMessageSchema.safeParse(json);
  return result.success ? result.data : null;
}

/** The prompt a message belongs to, where it says. */
export function promptIdOf(message: ComfyMessage): string | undefined {
  return 'prompt_id' in message.data ? (message.data.prompt_id as string | undefined) : undefined;
}

/** An output file as ComfyUI lists it under a node's ui dict (`gifs`, `images`, `videos`, ...). */
export const OutputFileSchema = z.looseObject({
  filename: z.string(),
  subfolder: z.string().default(''),
  type: z.string().default('output'),
  format: z.string().optional(),
});
export type OutputFile = z.infer<typeof OutputFileSchema>;

export const HistoryEntrySchema = z.looseObject({
  outputs: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
  status: z
    .looseObject({
      status_str: z.string().optional(),
      completed: z.boolean().optional(),
      messages: z.array(z.tuple([z.string(), z.record(z.string(), z.unknown())])).default([]),
    })
    .optional(),
});
export type HistoryEntry = z.infer<typeof HistoryEntrySchema>;

const VIDEO_EXTENSIONS = /\.(mp4|webm|mov|mkv|gif|webp)$/i;

/** Every file any output node reported, under whatever key, videos first. */
export function outputFiles(outputs: Record<string, Record<string, unknown>>): OutputFile[] {
  const files: OutputFile[] = [];
  for (const ui of Object.values(outputs)) {
    for (const value of Object.values(ui)) {
      if (!Array.isArray(value)) continue;
      for (const item of value) {
        const parsed = OutputFileSchema.safeParse(item);
        if (parsed.success) files.push(parsed.data);
      }
    }
  }
  return files.sort((a, b) => Number(VIDEO_EXTENSIONS.test(b.filename)) - Number(VIDEO_EXTENSIONS.test(a.filename)));
}
