import { z } from 'zod';

/**
 * How a Replicate model is named in configuration: a version (`owner/name:<64-hex>` or the bare
 * 64-hex id) is sent as `version` to `POST /v1/predictions`; a bare `owner/name` runs the model's
 * latest version through `POST /v1/models/{owner}/{name}/predictions`, which Replicate offers for
 * official models only (its HTTP API reference, "Create a prediction using an official model").
 */
export type ReplicateModelRef =
  | { kind: 'version'; version: string; model: string | null }
  | { kind: 'official'; model: string };

/**
 * Community models the README documents: Replicate answers 404 for them on the official-model
 * route, so they need a version id.
 */
export const COMMUNITY_MODELS: readonly string[] = ['lucataco/animate-diff', 'stability-ai/stable-video-diffusion'];

const VERSION = /^[0-9a-f]{64}$/;
const MODEL = /^[a-z0-9][a-z0-9_.-]*\/[a-z0-9][a-z0-9_.-]*$/i;
const EXAMPLE = 'e.g. lucataco/animate-diff:beecf59c4aee8d81bf04f0381033dfa10dc16e845b4ae00d281e2fa377e48a9f';

/** Parses one reference; the message says what is wrong (the caller names the variable). */
export function parseModelRef(value: string): { ok: true; ref: ReplicateModelRef } | { ok: false; message: string } {
  if (VERSION.test(value)) return { ok: true, ref: { kind: 'version', version: value, model: null } };
  const colon = value.indexOf(':');
  if (colon >= 0) {
    const model = value.slice(0, colon);
    const version = value.slice(colon + 1);
    if (!MODEL.test(model)) return { ok: false, message: `must name the model as owner/name before the colon, ${EXAMPLE}` };
    if (!VERSION.test(version)) return { ok: false, message: `must end in the whole 64-character lowercase hex version id (Replicate's model page, Versions), ${EXAMPLE}` };
    return { ok: true, ref: { kind: 'version', version, model } };
  }
  if (!MODEL.test(value)) return { ok: false, message: `must be owner/name:<64-hex version id> or the version id alone, ${EXAMPLE}` };
  if (COMMUNITY_MODELS.includes(value.toLowerCase())) {
    return { ok: false, message: `${value} is a community model: Replicate runs it only by version, ${EXAMPLE}` };
  }
  return { ok: true, ref: { kind: 'official', model: value } };
}

/** A configuration value: empty (that tier is not offered on Replicate) or a model reference. */
export const ModelRefSettingSchema = z
  .string()
  .trim()
  .transform((value, context): ReplicateModelRef | null => {
    if (value === '') return null;
    const parsed = parseModelRef(value);
    if (parsed.ok) return parsed.ref;
    context.addIssue({ code: 'custom', message: parsed.message });
    return z.NEVER;
  });
