/**
 * gRPC codes with which a conditional commit says "the documents changed since you read them":
 * FAILED_PRECONDITION (a `lastUpdateTime` precondition no longer holds), ALREADY_EXISTS (a `create`
 * lost to another), NOT_FOUND (an `update` of a document deleted meanwhile), ABORTED (contention).
 * Reading again and deciding again is the answer to each.
 */
const CONFLICT_CODES = new Set([9, 6, 5, 10]);

export function isWriteConflict(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' && CONFLICT_CODES.has(code);
}

export interface OptimisticOptions {
  /** How many read-decide-commit rounds before the last conflict is thrown. */
  maxTries?: number;
  /** The first retry waits up to this long (full jitter), doubling each time up to {@link maxDelayMs}. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Told of each conflict that leads to another round (metrics, tests). */
  onConflict?: (tryNumber: number, error: unknown) => void;
}

const DEFAULTS = { maxTries: 12, baseDelayMs: 10, maxDelayMs: 250 };

/**
 * Optimistic concurrency: runs `round` (read the documents, decide with a pure function, commit
 * the result conditionally on what was read) and, when the commit finds that someone wrote first,
 * runs it again after a short jittered pause.
 *
 * Unlike a transaction this takes no lock while it decides: nothing waits behind a reader, and a
 * loser costs one more read and a few milliseconds. Firestore's server SDKs run transactions
 * pessimistically (so does the emulator, where a second transaction on a document waits seconds
 * behind the first), which suits long reads over many documents, not one small hot document that
 * a claim, a lease renewal, progress, a cancel and the dispatcher all write.
 */
export async function optimistically<T>(round: () => Promise<T>, options: OptimisticOptions = {}): Promise<T> {
  const { maxTries, baseDelayMs, maxDelayMs } = { ...DEFAULTS, ...options };
  for (let tryNumber = 1; ; tryNumber += 1) {
    try {
      return await round();
    } catch (error) {
      if (!isWriteConflict(error) || tryNumber >= maxTries) throw error;
      options.onConflict?.(tryNumber, error);
      const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (tryNumber - 1));
      await new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
    }
  }
}
