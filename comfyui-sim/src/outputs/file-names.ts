import { mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { PyError } from '../validation/py-values';
import { isInside } from './data-dirs';

/** Where a save node writes: folder, file name stem and the subfolder to report. */
export interface SaveTarget {
  folder: string;
  filename: string;
  subfolder: string;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * ComfyUI's get_save_image_path: `filename_prefix` may name a subfolder; one escaping the output
 * folder is refused with ComfyUI's own error.
 */
export function saveTarget(baseDir: string, filenamePrefix: string): SaveTarget {
  const subfolder = path.dirname(path.normalize(filenamePrefix));
  const filename = path.basename(filenamePrefix);
  const folder = path.join(baseDir, subfolder);
  if (!isInside(baseDir, folder)) {
    throw new PyError('Exception', `**** ERROR: Saving image outside the output folder is not allowed.\n full_output_folder: ${folder}\n         output_dir: ${baseDir}`);
  }
  mkdirSync(folder, { recursive: true });
  return { folder, filename, subfolder: subfolder === '.' ? '' : subfolder };
}

function maxCounter(folder: string, pattern: RegExp): number {
  let max = 0;
  for (const name of readdirSync(folder)) {
    const match = pattern.exec(name);
    if (match?.[1]) max = Math.max(max, Number(match[1]));
  }
  return max;
}

/** VideoHelperSuite's counter: one past the highest `<filename>_<digits>...` file present. */
export function nextVhsCounter(target: SaveTarget): number {
  return maxCounter(target.folder, new RegExp(`^${escapeRegExp(target.filename)}_(\\d+)\\D*\\..+$`, 'i')) + 1;
}

/** Core ComfyUI's counter for `<filename>_<counter>_.<ext>` files. */
export function nextComfyCounter(target: SaveTarget): number {
  return maxCounter(target.folder, new RegExp(`^${escapeRegExp(target.filename)}_(\\d+)_`)) + 1;
}

/** A counter padded to five digits, as both write it. */
export function pad5(counter: number): string {
  return String(counter).padStart(5, '0');
}
