import { markdownTable, textTable } from './stats';

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
