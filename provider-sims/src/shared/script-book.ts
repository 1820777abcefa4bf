/** What every scripted entry has: an optional prompt filter and a use count. */
export interface ScriptSpecBase {
  promptContains?: string;
  times?: number;
}

/** A scripted entry as stored: the spec plus its id and the uses left (null: until cleared). */
export type ScriptEntry<S extends ScriptSpecBase> = S & { id: number; remaining: number | null; used: number };

/**
 * Scripted outcomes, checked in the order they were added: the first entry whose `promptContains`
 * is in the prompt (any prompt when absent) and that has uses left applies, and uses one.
 */
export class ScriptBook<S extends ScriptSpecBase> {
  private entries: Array<ScriptEntry<S>> = [];
  private nextId = 1;

  /** @param usesOf - how many matching requests an entry applies to (null: until cleared). */
  constructor(private readonly usesOf: (spec: S) => number | null) {}

  add(spec: S): ScriptEntry<S> {
    const entry: ScriptEntry<S> = { ...spec, id: this.nextId++, remaining: this.usesOf(spec), used: 0 };
    this.entries.push(entry);
    return { ...entry };
  }

  /** The entry for `prompt`, with one use taken, or undefined when none applies. */
  take(prompt: string): ScriptEntry<S> | undefined {
    return this.takeFirst((candidate) => candidate.promptContains === undefined || prompt.includes(candidate.promptContains));
  }

  /** The first entry `applies` to, with one use taken, or undefined when none does. */
  takeFirst(applies: (entry: S) => boolean): ScriptEntry<S> | undefined {
    const entry = this.entries.find(applies);
    if (!entry) return undefined;
    entry.used += 1;
    if (entry.remaining !== null) {
      entry.remaining -= 1;
      if (entry.remaining <= 0) this.entries = this.entries.filter((candidate) => candidate !== entry);
    }
    return { ...entry };
  }

  /** Removes every entry; returns how many there were. */
  clear(): number {
    const count = this.entries.length;
    this.entries = [];
    return count;
  }

  list(): Array<ScriptEntry<S>> {
    return this.entries.map((entry) => ({ ...entry }));
  }
}
