import { spawn } from 'node:child_process';

/** Why ffmpeg did not make the file: not found, exited non-zero, or stopped because the simulator is closing. */
export class FfmpegError extends Error {
  override readonly name = 'FfmpegError';
  constructor(
    readonly reason: 'missing' | 'failed' | 'stopped',
    message: string,
    /** The tail of ffmpeg's stderr, for a failure. */
    readonly stderr = '',
  ) {
    super(message);
  }
}

/** Runs ffmpeg with `args` to completion; rejects with an {@link FfmpegError}, keeping the tail of stderr. */
export function runFfmpeg(ffmpegPath: string, args: string[], signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(ffmpegPath, args, { stdio: ['ignore', 'ignore', 'pipe'], signal });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (signal.aborted) reject(new FfmpegError('stopped', 'ffmpeg stopped: the simulator is closing'));
      else if (error.code === 'ENOENT') reject(new FfmpegError('missing', `ffmpeg not found at ${ffmpegPath}`));
      else reject(new FfmpegError('failed', `ffmpeg: ${error.message}`));
    });
    child.on('close', (code) => {
      if (code === 0) resolve();
      else if (signal.aborted) reject(new FfmpegError('stopped', 'ffmpeg stopped: the simulator is closing'));
      else reject(new FfmpegError('failed', `ffmpeg exited with ${code}: ${stderr.trim()}`, stderr));
    });
  });
}
