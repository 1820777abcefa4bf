/** Structured logging, whichever logger the runtime has (pino on the worker, Cloud Logging in functions). */
export interface RunLog {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}
