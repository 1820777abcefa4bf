import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** ComfyUI's three file folders, as absolute paths. */
export interface DataDirs {
  root: string;
  input: string;
  output: string;
  temp: string;
}

/** The folder kinds that `/view` and `/upload/image` take as `type`. */
export type FolderType = 'input' | 'output' | 'temp';

/** Creates the folders under `dataDir`, or under a new temporary folder when none is given. */
export async function prepareDataDirs(dataDir: string | undefined): Promise<{ dirs: DataDirs; dispose(): Promise<void> }> {
  const root = path.resolve(dataDir ?? (await mkdtemp(path.join(tmpdir(), 'comfyui-sim-'))));
  const dirs: DataDirs = { root, input: path.join(root, 'input'), output: path.join(root, 'output'), temp: path.join(root, 'temp') };
  await Promise.all([dirs.input, dirs.output, dirs.temp].map((dir) => mkdir(dir, { recursive: true })));
  return {
    dirs,
    // A folder we made up is ours to remove; a folder we were given is the caller's.
    dispose: async () => {
      if (dataDir === undefined) await rm(root, { recursive: true, force: true });
    },
  };
}

/** The folder for a `type` value, or undefined for an unknown type. */
export function dirForType(dirs: DataDirs, type: string): string | undefined {
  if (type === 'input' || type === 'output' || type === 'temp') return dirs[type];
  return undefined;
}

/** Whether `target` is `base` or lies inside it (ComfyUI's commonpath check). */
export function isInside(base: string, target: string): boolean {
  const relative = path.relative(base, path.resolve(target));
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/** Splits ComfyUI's annotated names, `"name.png [output]"`, into name and folder type. */
export function parseAnnotated(name: string): { name: string; type: FolderType | undefined } {
  for (const type of ['input', 'output', 'temp'] as const) {
    const suffix = ` [${type}]`;
    if (name.endsWith(suffix)) return { name: name.slice(0, -suffix.length), type };
  }
  return { name, type: undefined };
}

/** LoadImage's check: the (annotated) file exists in its folder, `input` by default. */
export function annotatedFileExists(dirs: DataDirs, annotated: string): boolean {
  const { name, type } = parseAnnotated(annotated);
  const base = dirs[type ?? 'input'];
  const file = path.join(base, name);
  return isInside(base, file) && existsSync(file) && statSync(file).isFile();
}

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.webp', '.gif', '.bmp', '.tif', '.tiff', '.avif']);

/** Image files at the top of the input folder, sorted, as LoadImage's combo lists them. */
export function listInputImages(dirs: DataDirs): string[] {
  return readdirSync(dirs.input, { withFileTypes: true })
    .filter((entry) => entry.isFile() && IMAGE_EXTENSIONS.has(path.extname(entry.name).toLowerCase()))
    .map((entry) => entry.name)
    .sort();
}

const CONTENT_TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.bmp': 'image/bmp',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
  '.avif': 'image/avif',
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
  '.mov': 'video/quicktime',
  '.mkv': 'video/x-matroska',
  '.json': 'application/json',
  '.txt': 'text/plain',
  '.wav': 'audio/x-wav',
  '.mp3': 'audio/mpeg',
  '.flac': 'audio/flac',
};

/** Content-Type from the extension, as Python's mimetypes guesses it. */
export function contentTypeFor(filename: string): string {
  return CONTENT_TYPES[path.extname(filename).toLowerCase()] ?? 'application/octet-stream';
}
