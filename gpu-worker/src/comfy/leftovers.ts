import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config';
import type { Logger } from '../logger';
import type { ComfyClient } from './client';

/** ComfyUI's file folders as the worker sees them (the same filesystem on a pod). */
export interface ComfyFolders {
  output: string;
  input: string;
  temp: string;
}

/** The folders from the worker's configuration. */
export function comfyFolders(config: Pick<Config, 'COMFYUI_OUTPUT_DIR' | 'COMFYUI_INPUT_DIR' | 'COMFYUI_TEMP_DIR'>): ComfyFolders {
  return { output: config.COMFYUI_OUTPUT_DIR, input: config.COMFYUI_INPUT_DIR, temp: config.COMFYUI_TEMP_DIR };
}

/** What one attempt may have left in ComfyUI. */
export interface AttemptTraces {
  /** The prompt id, once one was chosen. */
  promptId: string | null;
  /** The save nodes' `filename_prefix`, e.g. `vidgen/<job>-a0`: a subfolder and a file stem. */
  filenamePrefix: string;
  /** The stem of the reference image uploaded to the input folder, if any. */
  inputStem: string | null;
}

export interface LeftoverOptions {
  client: ComfyClient;
  folders: ComfyFolders;
  /** How long to wait for ComfyUI to stop running the prompt before removing its files. */
  settleMs: number;
  log: Logger;
  pollMs?: number;
}

/** How long a prompt that outlasted the settle wait is watched for the second removal. */
const LATE_SWEEP_MS = 60 * 60_000;

/**
 * Removes everything an attempt left in ComfyUI: the files its save nodes wrote (VideoHelperSuite
 * writes `<prefix>_<counter>.png` beside the video), the uploaded reference image, and the prompt's
 * history entry. ComfyUI's API can delete only history (`POST /history`), so files go from the
 * shared folders. A prompt still running (an interrupt lands at the next step; a VAE decode or a
 * frame write finishes first) can write after we stop watching, so this waits for it to leave the
 * queue first; if it outlasts `settleMs`, the files are removed now and once more when it ends.
 * Never throws: a failure is logged, since the attempt's own outcome matters more.
 */
export async function removeAttemptLeftovers(traces: AttemptTraces, options: LeftoverOptions): Promise<void> {
  const settled = traces.promptId === null || (await waitUntilIdle(traces.promptId, options, options.settleMs));
  await removeFiles(traces, options);
  if (traces.promptId !== null) {
    await options.client.deleteHistory(traces.promptId).catch((error: Error) => options.log.warn({ err: error.message }, 'Could not remove the prompt from ComfyUI history'));
  }
  if (!settled) {
    options.log.warn({ settleSeconds: Math.round(options.settleMs / 1000) }, 'ComfyUI still runs the prompt; its files are removed again when it ends');
    void waitUntilIdle(traces.promptId!, options, LATE_SWEEP_MS).then(() => removeAttemptLeftovers(traces, { ...options, settleMs: 0 }));
  }
}

/** Whether ComfyUI has stopped running or queueing the prompt within `limitMs` (ComfyUI unreachable counts as stopped only at the limit). */
async function waitUntilIdle(promptId: string, options: LeftoverOptions, limitMs: number): Promise<boolean> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const queue = await options.client.queue().catch(() => null);
    if (queue && !queue.running.includes(promptId) && !queue.pending.includes(promptId)) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 500).unref());
  }
}

async function removeFiles(traces: AttemptTraces, options: LeftoverOptions): Promise<void> {
  const slash = traces.filenamePrefix.lastIndexOf('/');
  const subfolder = slash < 0 ? '' : traces.filenamePrefix.slice(0, slash);
  const stem = traces.filenamePrefix.slice(slash + 1);
  // `<stem>_<counter>...`: the underscore keeps attempt a1 from matching a10.
  const saved = (name: string) => name.startsWith(`${stem}_`);
  // Our upload, or ComfyUI's renamed copy of it (`<stem> (1).png`).
  const uploaded = (name: string) => traces.inputStem !== null && (name.startsWith(`${traces.inputStem}.`) || name.startsWith(`${traces.inputStem} (`));
  await Promise.all([
    removeMatching(join(options.folders.output, subfolder), saved, options.log),
    removeMatching(join(options.folders.temp, subfolder), saved, options.log),
    removeMatching(options.folders.input, uploaded, options.log),
  ]);
}

async function removeMatching(folder: string, matches: (name: string) => boolean, log: Logger): Promise<void> {
  let names: string[];
  try {
    names = await readdir(folder);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') log.warn({ folder, err: (error as Error).message }, 'Could not list a ComfyUI folder');
    return;
  }
  for (const name of names.filter(matches)) {
    await rm(join(folder, name), { force: true, recursive: true }).catch((error: Error) => log.warn({ file: join(folder, name), err: error.message }, 'Could not remove a ComfyUI file'));
  }
}
