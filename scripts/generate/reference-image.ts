import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { CliError, EXIT } from './errors';

/** The image types storage.rules accepts, by file extension. */
const CONTENT_TYPES: Record<string, string> = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.webp': 'image/webp' };
/** storage.rules: `request.resource.size < 10 * 1024 * 1024`. */
const MAX_BYTES = 10 * 1024 * 1024;

export interface ReferenceImage {
  /** The path given. */
  file: string;
  /** The name to upload it under. */
  name: string;
  bytes: Uint8Array;
  contentType: string;
}

/**
 * Reads the --image file, refusing up front what the Storage rules would refuse (type, size), with
 * a message that says why. The name keeps its extension in lower case, which the job's
 * `referenceImagePath` rule requires.
 */
export async function readReferenceImage(file: string): Promise<ReferenceImage> {
  const extension = extname(file).toLowerCase();
  const contentType = CONTENT_TYPES[extension];
  if (!contentType) throw new CliError(`--image must be a .png, .jpg, .jpeg or .webp file, not "${basename(file)}"`, EXIT.usage);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new CliError(`--image: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  if (bytes.length >= MAX_BYTES) throw new CliError(`--image: ${file} is ${(bytes.length / (1024 * 1024)).toFixed(1)} MiB; a reference image must be under 10 MiB`);
  if (bytes.length === 0) throw new CliError(`--image: ${file} is empty`);
  return { file, name: `${basename(file, extname(file))}${extension}`, bytes: new Uint8Array(bytes), contentType };
}
