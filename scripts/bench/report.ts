import { markdownTable, median, textTable } from './stats';

/** One measured figure, printed with its target and verdict. */
export interface Figure {
  /** "1", "2a", ... as in the benchmark's list. */
  id: string;
  name: string;
  value: string;
  target: string;
  /** true PASS, false MISS, null for figures given for information only. */
  pass: boolean | null;
  note?: string;
  /**
   * The figure as one number, for a scenario run several times: the runs are summarised as median
   * and spread, and `judge` gives the verdict on the median (`judgeEvery` on every run instead,
   * for counts that must hold each time, such as errors).
   */
  sample?: { value: number; format: (value: number) => string; judge?: (value: number) => boolean; judgeEvery?: boolean };
}

/** A figure section's own detail table, printed when it finishes and kept for the Markdown file. */
export interface Detail {
  title: string;
  header: string[];
  rows: string[][];
  notes?: string[];
}

export function verdict(pass: boolean | null): string {
  return pass === null ? 'info' : pass ? 'PASS' : 'MISS';
}

const SUMMARY_HEADER = ['#', 'figure', 'measured', 'target', 'result'];

function summaryRows(figures: readonly Figure[]): string[][] {
  return figures.map((f) => [f.id, f.name, f.value, f.target, verdict(f.pass)]);
}

/** The figures of one section, as text, right after it ran. */
export function sectionText(title: string, figures: readonly Figure[], details: readonly Detail[]): string {
  const parts = [`\n== ${title}`];
  for (const detail of details) {
    parts.push(`\n${detail.title}\n${textTable(detail.header, detail.rows)}`);
    for (const note of detail.notes ?? []) parts.push(`  ${note}`);
  }
  parts.push(`\n${textTable(SUMMARY_HEADER, summaryRows(figures))}`);
  for (const f of figures) if (f.note) parts.push(`  ${f.id}: ${f.note}`);
  return `${parts.join('\n')}\n`;
}

/** The final summary table. */
export function summaryText(figures: readonly Figure[]): string {
  return textTable(SUMMARY_HEADER, summaryRows(figures));
}

/** The whole run as Markdown: summary first, then each section's details and notes. */
export function markdownReport(meta: string[], figures: readonly Figure[], details: readonly Detail[]): string {
  const parts = ['# vidgen benchmark: last run', '', ...meta.map((m) => `- ${m}`), '', '## Summary', '', markdownTable(SUMMARY_HEADER, summaryRows(figures)), ''];
  const notes = figures.filter((f) => f.note);
  if (notes.length > 0) parts.push(...notes.map((f) => `- **${f.id}**: ${f.note}`), '');
  for (const detail of details) {
    parts.push(`## ${detail.title}`, '', markdownTable(detail.header, detail.rows), '');
    if (detail.notes?.length) parts.push(...detail.notes.map((n) => `- ${n}`), '');
  }
  return parts.join('\n');
}

/**
 * The figures of several runs of one scenario as one: for a figure with a sample, the median with
 * its spread (min-max) and every run's value, judged on the median (or on every run); for one
 * without, each run's value. A figure missing from a run (the run failed) makes it a MISS.
 */
export function combineRuns(runs: ReadonlyArray<readonly Figure[]>): Figure[] {
  if (runs.length === 1) return [...(runs[0] ?? [])];
  const ids = [...new Set(runs.flatMap((figures) => figures.map((f) => f.id)))];
  return ids.map((id) => {
    const found = runs.map((figures) => figures.find((f) => f.id === id));
    const present = found.filter((f): f is Figure => f !== undefined);
    const first = present[0] as Figure;
    const missing = found.length - present.length;
    const sampled = present.every((f) => f.sample);
    if (!sampled || !first.sample) {
      const pass = first.pass === null ? null : missing === 0 && present.every((f) => f.pass === true);
      return { ...first, value: found.map((f, i) => `run ${i + 1}: ${f?.value ?? 'not measured'}`).join('; '), pass };
    }
    const values = present.map((f) => f.sample!.value);
    const { format, judge, judgeEvery } = first.sample;
    const mid = median(values);
    const pass = first.pass === null || !judge ? first.pass : missing === 0 && (judgeEvery ? values.every(judge) : judge(mid));
    const spread = `${format(Math.min(...values))}–${format(Math.max(...values))}`;
    // A figure judged on every run lists every run's whole value (for counts, what each run saw).
    const perRun = found.map((f) => (f ? (judgeEvery ? f.value : format(f.sample!.value)) : 'not measured')).join(judgeEvery ? '; ' : ', ');
    return {
      ...first,
      value: judgeEvery ? `worst ${format(Math.max(...values))} of ${present.length} runs (${perRun})` : `${format(mid)} median of ${present.length} (spread ${spread}; runs: ${perRun})`,
      target: judgeEvery ? `${first.target}, every run` : `${first.target} (median)`,
      pass,
      sample: { ...first.sample, value: mid },
    };
  });
}
