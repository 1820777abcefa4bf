import { googleId } from '../shared/ids';
import type { VeoFile } from './veo-files';
import type { VeoVideoRequest } from './veo-request';
import type { VeoOutcome } from './veo-script';

/** A long-running generation as the simulator tracks it. */
export interface VeoOperation {
  id: string;
  /** `models/{model}/operations/{id}`. */
  name: string;
  request: VeoVideoRequest;
  outcome: Extract<VeoOutcome, 'success' | 'safety_filtered' | 'operation_error' | 'never_finishes'>;
  createdAt: number;
  /** When it is done (ms since the epoch); null for never. */
  doneAt: number | null;
  files: VeoFile[];
  error?: { code: number; message: string };
  safetyReasons?: string[];
  scriptId?: number;
  polls: number;
}

/** The operations created, by name. */
export class VeoOperationStore {
  private readonly operations = new Map<string, VeoOperation>();

  create(fields: Omit<VeoOperation, 'id' | 'name' | 'polls'>): VeoOperation {
    const id = googleId();
    const operation: VeoOperation = { ...fields, id, name: `models/${fields.request.model}/operations/${id}`, polls: 0 };
    this.operations.set(operation.name, operation);
    return operation;
  }

  get(name: string): VeoOperation | undefined {
    return this.operations.get(name);
  }

  list(): VeoOperation[] {
    return [...this.operations.values()];
  }
}

/** Whether the operation is done at `now`. */
export function isDone(operation: VeoOperation, now: number): boolean {
  return operation.doneAt !== null && now >= operation.doneAt;
}

/** The URI a sample's video is downloaded from, as the Gemini API gives it (on this server). */
export function downloadUri(baseUrl: string, file: VeoFile): string {
  return `${baseUrl}/v1beta/files/${file.id}:download?alt=media`;
}

const RESPONSE_TYPE = 'type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse';

/**
 * The operation as `GET /v1beta/{name}` returns it. While running: `{name}` only (proto3 JSON leaves
 * out `done: false`). Done: `response.generateVideoResponse` with the samples, or the safety filter
 * count and reasons and no samples; or `error`.
 */
export function operationJson(operation: VeoOperation, now: number, baseUrl: string): Record<string, unknown> {
  if (!isDone(operation, now)) return { name: operation.name };
  if (operation.outcome === 'operation_error') return { name: operation.name, done: true, error: operation.error };
  const generateVideoResponse =
    operation.outcome === 'safety_filtered'
      ? { raiMediaFilteredCount: operation.request.sampleCount, raiMediaFilteredReasons: operation.safetyReasons ?? [] }
      : { generatedSamples: operation.files.map((file) => ({ video: { uri: downloadUri(baseUrl, file) } })) };
  return { name: operation.name, done: true, response: { '@type': RESPONSE_TYPE, generateVideoResponse } };
}
