import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

function findOnPath(command: string, searchPath: string | undefined): string | undefined {
  for (const dir of (searchPath ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

/**
 * The ffmpeg to use: the explicit path, else `FFMPEG_PATH`, else `ffmpeg` on PATH, else the binary
 * of @ffmpeg-installer/ffmpeg (loaded only here: it checks the disk when required).
 */
export function resolveFfmpegPath(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit) return explicit;
  if (env.FFMPEG_PATH) return env.FFMPEG_PATH;
  const onPath = findOnPath('ffmpeg', env.PATH);
  if (onPath) return onPath;
  try {
    const load = createRequire(__filename);
    return (load('@ffmpeg-installer/ffmpeg') as { path: string }).path;
  } catch {
    return 'ffmpeg';
  }
}
