import { parseArgs } from 'node:util';
import { createTasksClient } from './client';
import { EXIT, QueueError, UsageError } from './errors';
import { provisionQueue, type Target } from './provision';
import { QUEUES } from './settings';
import { printQueueStatus } from './status';

export const USAGE = `Usage: npm run queues -- <command> --project PROJECT_ID [--location REGION] [options]

Commands:
  provision   create the Cloud Tasks queues of the task-queue functions (${QUEUES.map((q) => q.id).join(', ')}),
              or update the settings of existing ones that differ from functions/src/index.ts
  status      print each queue's state, rate limits, retry configuration and depth

Options:
  --project ID       Google Cloud project (default: $GOOGLE_CLOUD_PROJECT)
  --location REGION  the functions' region (default: us-central1)
  --dry-run          provision: print what would change, change nothing
  -h, --help         this help

Credentials are Application Default Credentials. CLOUD_TASKS_API_URL=http://127.0.0.1:PORT points the
client at a local server that speaks the Cloud Tasks REST API instead (token: CLOUD_TASKS_API_TOKEN).`;

export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env: Record<string, string | undefined>;
}

interface Command {
  name: 'provision' | 'status';
  target: Target;
  dryRun: boolean;
}

/** Runs `npm run queues -- ...args`; resolves to the exit code. */
export async function runQueuesCli(args: string[], io: CliIo): Promise<number> {
  let command: Command | 'help';
  try {
    command = parseCommand(args, io.env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`[queues] ERROR: ${error.message}\nRun with --help for usage.\n`);
    return EXIT.usage;
  }
  if (command === 'help') {
    io.stdout.write(`${USAGE}\n`);
    return EXIT.ok;
  }
  const client = createTasksClient({ apiUrl: io.env.CLOUD_TASKS_API_URL || undefined, accessToken: io.env.CLOUD_TASKS_API_TOKEN || undefined });
  const print = (line: string): void => void io.stdout.write(`${line}\n`);
  let status: number = EXIT.ok;
  try {
    if (command.dryRun) print(`# Cloud Tasks queues for ${command.target.project} in ${command.target.location} (dry run: nothing is changed)`);
    // One queue failing does not stop the other: report each, exit 1 at the end.
    for (const spec of QUEUES) {
      try {
        if (command.name === 'provision') await provisionQueue(client, command.target, spec, { dryRun: command.dryRun, print });
        else await printQueueStatus(client, command.target, spec.id, print);
      } catch (error) {
        if (!(error instanceof QueueError)) throw error;
        io.stderr.write(`[queues] ERROR: ${error.message}\n`);
        status = EXIT.failed;
      }
    }
  } finally {
    await client.close();
  }
  return status;
}

function parseCommand(args: string[], env: Record<string, string | undefined>): Command | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        project: { type: 'string' },
        location: { type: 'string', default: 'us-central1' },
        'dry-run': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    // parseArgs' own messages name the flag: "Unknown option '--projct'".
    // Checked by shape: parseArgs' TypeError may come from another realm (Jest's VM) than our Error.
    const message = (error as { message?: unknown } | null)?.message;
    throw new UsageError((typeof message === 'string' ? message : String(error)).replace(/\. To specify a positional argument.*$/s, ''));
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  const [name, ...rest] = positionals;
  if (name !== 'provision' && name !== 'status') throw new UsageError(name ? `unknown command '${name}' (provision or status)` : 'a command is required: provision or status');
  if (rest.length > 0) throw new UsageError(`unexpected argument '${rest[0]}'`);
  if (values['dry-run'] && name !== 'provision') throw new UsageError('--dry-run applies to provision only');
  const project = values.project ?? env.GOOGLE_CLOUD_PROJECT;
  if (!project) throw new UsageError('--project is required (or set GOOGLE_CLOUD_PROJECT)');
  if (!/^[a-z][a-z0-9:.-]{4,61}[a-z0-9]$/.test(project)) throw new UsageError(`--project: '${project}' is not a project id`);
  if (project.startsWith('demo-')) throw new UsageError(`--project: '${project}' is an emulator-only demo project; its queues are the Tasks emulator's`);
  const location = values.location;
  if (!/^[a-z]+-[a-z]+[0-9]+$/.test(location)) throw new UsageError(`--location: '${location}' is not a region such as us-central1`);
  const apiUrl = env.CLOUD_TASKS_API_URL;
  if (apiUrl && !/^https?:\/\/[^/]+\/?$/.test(apiUrl)) throw new UsageError(`CLOUD_TASKS_API_URL: '${apiUrl}' is not an origin such as http://127.0.0.1:8123`);
  return { name, target: { project, location }, dryRun: values['dry-run'] };
}
