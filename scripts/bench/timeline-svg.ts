/** A hand-written SVG timeline of counts over time: stacked areas (pods by state) under step lines (jobs). */

/** A count that changes in steps: each point's value holds from its time until the next point's. */
export interface StepSeries {
  label: string;
  color: string;
  points: ReadonlyArray<{ at: number; value: number }>;
}

export interface TimelinePanel {
  title: string;
  /** The time shown as 0 s, and the end of the axis (ms since the epoch). */
  from: number;
  to: number;
  /** Drawn as areas stacked bottom up, in this order. */
  stacked: readonly StepSeries[];
  /** Drawn as step lines over the areas. */
  lines: readonly StepSeries[];
  /** Vertical marks (a burst of jobs), labelled at the top. */
  marks?: ReadonlyArray<{ at: number; label: string }>;
}

const WIDTH = 980;
const PANEL_HEIGHT = 250;
const LEFT = 56;
const RIGHT = 190;
const TOP = 34;
const GAP = 64;

/** The series' count at time `at`: its last point at or before it, 0 before the first. */
export function valueAt(series: StepSeries, at: number): number {
  let value = 0;
  for (const point of series.points) {
    if (point.at > at) break;
    value = point.value;
  }
  return value;
}

/** A tick spacing of 1, 2 or 5 times a power of ten giving at most `most` ticks over `span`. */
export function tickStep(span: number, most: number): number {
  if (!(span > 0)) return 1;
  const rough = span / most;
  const power = 10 ** Math.floor(Math.log10(rough));
  return [1, 2, 5, 10].map((m) => m * power).find((step) => span / step <= most) ?? 10 * power;
}

/** The times within [from, to] at which any of the series changes, with both ends. */
export function changeTimes(series: readonly StepSeries[], from: number, to: number): number[] {
  const times = new Set<number>([from, to]);
  for (const s of series) for (const p of s.points) if (p.at > from && p.at < to) times.add(p.at);
  return [...times].sort((a, b) => a - b);
}

/**
 * The outline of layer `index` of the stack as polygon points (in data units: time, count): along
 * the top of the layers up to it in steps, then back along the top of those below it.
 */
export function stackOutline(stacked: readonly StepSeries[], index: number, from: number, to: number): Array<[number, number]> {
  const times = changeTimes(stacked, from, to);
  const height = (t: number, upTo: number) => stacked.slice(0, upTo).reduce((sum, s) => sum + valueAt(s, t), 0);
  const edge = (upTo: number): Array<[number, number]> =>
    times.slice(0, -1).flatMap((t, k) => {
      const h = height(t, upTo);
      return [[t, h], [times[k + 1] as number, h]] as Array<[number, number]>;
    });
  return [...edge(index + 1), ...edge(index).reverse()];
}

/** A step line's points (data units) from `from` to `to`. */
export function stepLine(series: StepSeries, from: number, to: number): Array<[number, number]> {
  const times = changeTimes([series], from, to);
  return times.slice(0, -1).flatMap((t, k) => {
    const v = valueAt(series, t);
    return [[t, v], [times[k + 1] as number, v]] as Array<[number, number]>;
  });
}

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const fixed = (n: number) => (Math.round(n * 10) / 10).toString();

/** The highest count the panel draws: the top of its stack or of a line. */
export function panelPeak(panel: TimelinePanel): number {
  const times = changeTimes([...panel.stacked, ...panel.lines], panel.from, panel.to);
  return Math.max(0, ...times.map((t) => panel.stacked.reduce((sum, s) => sum + valueAt(s, t), 0)), ...times.flatMap((t) => panel.lines.map((s) => valueAt(s, t))));
}

function panelSvg(panel: TimelinePanel, top: number, peak: number): string {
  const plotWidth = WIDTH - LEFT - RIGHT;
  const plotHeight = PANEL_HEIGHT - 50;
  const span = Math.max(1, panel.to - panel.from);
  const yStep = tickStep(peak, 6);
  const yMax = Math.ceil(peak / yStep) * yStep;
  const x = (t: number) => LEFT + ((t - panel.from) / span) * plotWidth;
  const y = (v: number) => top + plotHeight - (v / yMax) * plotHeight;
  const points = (pts: Array<[number, number]>) => pts.map(([t, v]) => `${fixed(x(t))},${fixed(y(v))}`).join(' ');
  const parts: string[] = [`<text x="${LEFT}" y="${top - 10}" font-size="14" font-weight="bold">${escapeXml(panel.title)}</text>`];

  const xStep = tickStep(span / 1000, 12) * 1000;
  for (let t = 0; t <= span; t += xStep) {
    parts.push(`<line x1="${fixed(x(panel.from + t))}" y1="${top}" x2="${fixed(x(panel.from + t))}" y2="${top + plotHeight}" stroke="#eee"/>`);
    parts.push(`<text x="${fixed(x(panel.from + t))}" y="${top + plotHeight + 16}" font-size="11" text-anchor="middle">${t / 1000}</text>`);
  }
  for (let v = 0; v <= yMax; v += yStep) {
    parts.push(`<line x1="${LEFT}" y1="${fixed(y(v))}" x2="${LEFT + plotWidth}" y2="${fixed(y(v))}" stroke="#eee"/>`);
    parts.push(`<text x="${LEFT - 6}" y="${fixed(y(v) + 4)}" font-size="11" text-anchor="end">${v}</text>`);
  }
  panel.stacked.forEach((series, i) => {
    parts.push(`<polygon points="${points(stackOutline(panel.stacked, i, panel.from, panel.to))}" fill="${series.color}" fill-opacity="0.55" stroke="none"/>`);
  });
  for (const series of panel.lines) {
    parts.push(`<polyline points="${points(stepLine(series, panel.from, panel.to))}" fill="none" stroke="${series.color}" stroke-width="2"/>`);
  }
  for (const mark of panel.marks ?? []) {
    parts.push(`<line x1="${fixed(x(mark.at))}" y1="${top}" x2="${fixed(x(mark.at))}" y2="${top + plotHeight}" stroke="#555" stroke-dasharray="3,3"/>`);
    parts.push(`<text x="${fixed(x(mark.at) + 3)}" y="${top + 11}" font-size="10" fill="#555">${escapeXml(mark.label)}</text>`);
  }
  parts.push(`<rect x="${LEFT}" y="${top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#999"/>`);
  parts.push(`<text x="${LEFT + plotWidth / 2}" y="${top + plotHeight + 34}" font-size="12" text-anchor="middle">time (s)</text>`);
  parts.push(`<text x="16" y="${top + plotHeight / 2}" font-size="12" text-anchor="middle" transform="rotate(-90 16 ${top + plotHeight / 2})">pods · jobs</text>`);

  const legendX = LEFT + plotWidth + 16;
  const legend = [...panel.lines.map((s) => ({ s, line: true })), ...[...panel.stacked].reverse().map((s) => ({ s, line: false }))];
  legend.forEach(({ s, line }, i) => {
    const ly = top + 8 + i * 20;
    parts.push(line
      ? `<line x1="${legendX}" y1="${ly}" x2="${legendX + 18}" y2="${ly}" stroke="${s.color}" stroke-width="2"/>`
      : `<rect x="${legendX}" y="${ly - 6}" width="18" height="12" fill="${s.color}" fill-opacity="0.55"/>`);
    parts.push(`<text x="${legendX + 24}" y="${ly + 4}" font-size="12">${escapeXml(s.label)}</text>`);
  });
  return parts.join('\n');
}

/** The panels one under the other, on one count axis, sharing a title and a footnote. */
export function timelineSvg(title: string, panels: readonly TimelinePanel[], footnote = ''): string {
  const height = TOP + panels.length * (PANEL_HEIGHT + GAP) + 10;
  const peak = Math.max(1, ...panels.map(panelPeak));
  const body = panels.map((panel, i) => panelSvg(panel, TOP + 30 + i * (PANEL_HEIGHT + GAP), peak)).join('\n');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif">`,
    `<rect width="${WIDTH}" height="${height}" fill="white"/>`,
    `<text x="${LEFT}" y="24" font-size="16" font-weight="bold">${escapeXml(title)}</text>`,
    body,
    footnote ? `<text x="${LEFT}" y="${height - 8}" font-size="11" fill="#555">${escapeXml(footnote)}</text>` : '',
    '</svg>',
    '',
  ].join('\n');
}
