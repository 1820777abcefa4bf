import { join, resolve } from 'node:path';
import { CliError, EXIT, explainError, Interrupted } from './generate/errors';
import { parseOptions, USAGE } from './generate/options';
import { createJobView } from './generate/progress-view';
import { readReferenceImage } from './generate/reference-image';
import { generateVideo, untilInterrupted } from './generate/run';
import { localStackTarget, projectTarget, type Target } from './generate/target';

/**
 * `npm run generate -- "a red fox in snow" --model auto [--image path] [--out fox.mp4] ...`: makes
 * one video through the web SDK, against the local stack or a Firebase project. See USAGE.
 */
const ROOT = resolve(__dirname, '..');

async function closeQuietly(target: Target): Promise<void> {
  // The SDK's Firestore client can take its time to shut down; the run is over either way.
  await Promise.race([target.close().catch(() => undefined), new Promise((done) => setTimeout(done, 2000).unref())]);
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2), join(ROOT, '.stack', 'stack.json'));
  if (!options) {
    process.stdout.write(`${USAGE}\n`);
    return EXIT.ok;
  }
  // Before anything is contacted: a wrong image is a mistake on the command line.
  const image = options.image ? await readReferenceImage(options.image) : null;
  const interrupt = new AbortController();
  process.on('SIGINT', () => {
    if (interrupt.signal.aborted) {
      process.stderr.write('Interrupted again: leaving without waiting.\n');
      process.exit(EXIT.interrupted);
    }
    interrupt.abort();
  });

  let target: Target;
  try {
    target = await untilInterrupted(options.target.kind === 'stack' ? localStackTarget(options.target.stateFile) : projectTarget(options.target.configFile, options.target.appCheckDebugToken), interrupt.signal);
  } catch (error) {
    if (error instanceof Interrupted) return EXIT.interrupted;
    throw error;
  }
  const view = createJobView(process.stdout);
  try {
    return await generateVideo({ options, image, target, view, signal: interrupt.signal, stderr: process.stderr });
  } catch (error) {
    throw explainError(error, target.local);
  } finally {
    view.stop();
    await closeQuietly(target);
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const failure = error instanceof CliError ? error : explainError(error, true);
    process.stderr.write(`Error: ${failure.message}\n`);
    if (failure.exitCode === EXIT.usage) process.stderr.write('Run with --help for the usage.\n');
    process.exit(failure.exitCode);
  },
);
