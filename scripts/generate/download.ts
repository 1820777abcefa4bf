import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { CliError, Interrupted } from './errors';

/**
 * Downloads `url` to `file` (through a `.partial` file, so that a failed or interrupted download
 * never leaves something that looks like a video). Resolves with the size written.
 */
export async function downloadVideo(url: string, file: string, signal: AbortSignal): Promise<number> {
  const partial = `${file}.partial`;
  try {
    const response = await fetch(url, { signal });
    if (!response.ok || !response.body) throw new CliError(`Could not download the video from ${url}: HTTP ${response.status} ${response.statusText}`);
    await mkdir(dirname(file), { recursive: true });
    await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), createWriteStream(partial), { signal });
    await rename(partial, file);
    return (await stat(file)).size;
  } catch (error) {
    await rm(partial, { force: true });
    if (signal.aborted) throw new Interrupted();
    if (error instanceof CliError) throw error;
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    throw new CliError(`Could not download the video to ${file}: ${cause}`, undefined, { cause: error });
  }
}
