import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

function onPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return null;
}

/** The ffmpeg/ffprobe to use: the configured path, else the system's, else the one shipped in the npm package. */
export function resolveTools(config: { ffmpegPath?: string; ffprobePath?: string }): { ffmpeg: string; ffprobe: string } {
  /* eslint-disable @typescript-eslint/no-require-imports */
  return {
    ffmpeg: config.ffmpegPath ?? onPath('ffmpeg') ?? (require('@ffmpeg-installer/ffmpeg') as { path: string }).path,
    ffprobe: config.ffprobePath ?? onPath('ffprobe') ?? (require('@ffprobe-installer/ffprobe') as { path: string }).path,
  };
  /* eslint-enable @typescript-eslint/no-require-imports */
}

/** Runs a tool to completion, keeping only the tail of stderr for the error message. */
export function run(command: string, args: string[], signal?: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], signal });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(stdout);
      else reject(new Error(`${command.split('/').pop()} exited with ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`));
    });
  });
}
