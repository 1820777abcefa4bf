import { isAbsolute, relative } from 'node:path';

/** A component of the stack that exited without being asked to, as reported on the console. */
export interface ComponentExit {
  component: string;
  pid: number | undefined;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Why it could not be started at all (spawn failed), if so. */
  error?: string;
  logFile: string;
  /** Its last lines of output. */
  logTail: string[];
  /** `restarting`: it is being started again; `fatal`: the stack cannot run without it. */
  outcome: 'restarting' | 'fatal';
  /** How often it has been restarted, this time included. */
  restarts: number;
}

/** A log file's path as short as it can be said from here. */
function shortPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

/** "firestore (pid 12) exited with code 1", "local-worker-1 (pid 34) was killed by SIGKILL". */
export function exitSummary(exit: ComponentExit): string {
  const who = `${exit.component}${exit.pid ? ` (pid ${exit.pid})` : ''}`;
  if (exit.error) return `${who} could not be started: ${exit.error}`;
  if (exit.signal) return `${who} was killed by ${exit.signal}`;
  return `${who} exited with code ${exit.code}`;
}

/** The summary and the last `maxLines` lines of the component's log. */
export function exitReport(exit: ComponentExit, maxLines = 20): string {
  const tail = exit.logTail.slice(-maxLines);
  const log = shortPath(exit.logFile);
  if (tail.length === 0) return `${exitSummary(exit)}; it wrote nothing (log: ${log}).`;
  return `${exitSummary(exit)}. Last lines of its log (${log}):\n${tail.map((line) => `    ${line}`).join('\n')}`;
}

/** Where a component's exit goes when nobody says otherwise: the console, at once. */
export function exitToConsole(exit: ComponentExit): void {
  process.stderr.write(exit.outcome === 'restarting' ? `[stack] ${exitSummary(exit)}: restarting it\n` : `[stack] The local stack is down: ${exitReport(exit)}\n`);
}

/** The last lines a process wrote, kept in memory so that its exit can be reported with them at once. */
export class OutputTail {
  private text = '';

  constructor(private readonly maxLines = 20) {}

  push(chunk: Buffer | string): void {
    this.text = (this.text + chunk.toString()).slice(-16_384);
  }

  lines(): string[] {
    return this.text
      .split(/\r?\n/)
      .map((line) => line.trimEnd())
      .filter((line) => line.length > 0)
      .slice(-this.maxLines)
      .map((line) => (line.length > 300 ? `${line.slice(0, 300)}…` : line));
  }

  clear(): void {
    this.text = '';
  }
}
