import { z } from 'zod';

const PortSchema = z.number().int().min(1).max(65535);

/** What the local stack writes beside the page (`/stack-config.json`): where its emulators listen. */
export const StackConfigSchema = z.object({
  projectId: z.string().min(1),
  apiKey: z.string().min(1).describe('Any key will do for the Auth emulator; the web SDK only needs one.'),
  region: z.string().min(1),
  storageBucket: z.string().min(1),
  emulators: z.object({
    host: z.string().min(1),
    auth: PortSchema,
    firestore: PortSchema,
    functions: PortSchema,
    storage: PortSchema,
  }),
  simulated: z.object({ gpu: z.boolean(), veo: z.boolean(), replicate: z.boolean() }),
  appCheck: z
    .discriminatedUnion('kind', [
      z.object({ kind: z.literal('emulator') }),
      z.object({ kind: z.literal('recaptcha-enterprise'), siteKey: z.string().min(1), debugToken: z.string().min(1).optional() }),
    ])
    .optional()
    .describe('How the page gets App Check tokens: unsigned ones for the emulators, or reCAPTCHA Enterprise with the web app\'s site key.'),
});
export type StackConfig = z.infer<typeof StackConfigSchema>;

export const STACK_CONFIG_PATH = '/stack-config.json';

/** Fetches and checks the stack's config; the errors say what to do about them. */
export async function loadStackConfig(): Promise<StackConfig> {
  const response = await fetch(STACK_CONFIG_PATH, { cache: 'no-store' });
  if (!response.ok) {
    throw new Error(`${STACK_CONFIG_PATH} is missing (HTTP ${response.status}): this page runs against the local stack; start it with npm start.`);
  }
  const parsed = StackConfigSchema.safeParse(await response.json());
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
    throw new Error(`${STACK_CONFIG_PATH} is not what this page expects: ${issues}`);
  }
  return parsed.data;
}
