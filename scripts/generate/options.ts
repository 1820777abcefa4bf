import { parseArgs } from 'node:util';
import { CliError, EXIT } from './errors';

export const USAGE = `Usage: npm run generate -- "PROMPT" [--model auto|veo|animatediff|svd] [--image FILE.png|jpg|webp]
         [--out FILE.mp4] [--aspect 16:9|9:16|1:1] [--duration SECONDS] [--seed N] [--negative "TEXT"]
         [--stack-state FILE | --project-config firebase-web-config.json [--app-check-debug-token TOKEN]]

Makes a video: signs in anonymously, uploads --image as the reference image, asks createVideoJob,
shows the job's progress and each attempt, then downloads the video to --out (default <jobId>.mp4).
Runs against the local stack (npm start; its state is read from .stack/stack.json, or --stack-state),
or against a Firebase project with --project-config (the web app's config JSON: apiKey, projectId,
appId, storageBucket, ...), whose functions enforce App Check: pass a debug token registered for that
web app (--app-check-debug-token, or APP_CHECK_DEBUG_TOKEN); the local stack needs none. Ctrl-C cancels the job. Exit status: 0 done, 1 failed, 2 bad usage,
130 interrupted.`;

export interface GenerateOptions {
  prompt: string;
  model: string;
  image: string | null;
  out: string | null;
  aspectRatio: string | null;
  durationSeconds: number | null;
  seed: number | null;
  negativePrompt: string | null;
  target: { kind: 'stack'; stateFile: string } | { kind: 'project'; configFile: string; appCheckDebugToken: string | null };
}

function numberFlag(name: string, value: string | undefined): number | null {
  if (value === undefined) return null;
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number)) throw new CliError(`--${name} must be a number, not "${value}"`, EXIT.usage);
  return number;
}

/**
 * Reads the command line. Only the shape is checked here (flags known, numbers numeric); what the
 * values may be is for createVideoJob to say, so the CLI never disagrees with the server.
 * Returns null for --help.
 */
export function parseOptions(argv: string[], defaultStateFile: string, env: Record<string, string | undefined> = process.env): GenerateOptions | null {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        model: { type: 'string', default: 'auto' },
        image: { type: 'string' },
        out: { type: 'string' },
        aspect: { type: 'string' },
        duration: { type: 'string' },
        seed: { type: 'string' },
        negative: { type: 'string' },
        'stack-state': { type: 'string' },
        'project-config': { type: 'string' },
        'app-check-debug-token': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw new CliError((error as Error).message, EXIT.usage);
  }
  const { values, positionals } = parsed;
  if (values.help) return null;
  const prompt = positionals.join(' ').trim();
  if (!prompt) throw new CliError('Give the prompt, in quotes: npm run generate -- "a red fox in snow"', EXIT.usage);
  if (values['stack-state'] && values['project-config']) throw new CliError('Use either --stack-state or --project-config, not both', EXIT.usage);
  const appCheckDebugToken = values['app-check-debug-token'] ?? (env.APP_CHECK_DEBUG_TOKEN || null);
  if (values['app-check-debug-token'] !== undefined && !values['project-config']) {
    throw new CliError('--app-check-debug-token is for a real project (--project-config); the local stack needs none', EXIT.usage);
  }
  return {
    prompt,
    model: values.model,
    image: values.image ?? null,
    out: values.out ?? null,
    aspectRatio: values.aspect ?? null,
    durationSeconds: numberFlag('duration', values.duration),
    seed: numberFlag('seed', values.seed),
    negativePrompt: values.negative ?? null,
    target: values['project-config']
      ? { kind: 'project', configFile: values['project-config'], appCheckDebugToken }
      : { kind: 'stack', stateFile: values['stack-state'] ?? defaultStateFile },
  };
}
