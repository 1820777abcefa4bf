import { changeTimes, escapeXml, panelPeak, stackOutline, stepLine, tickStep, timelineSvg, valueAt, type StepSeries, type TimelinePanel } from '../bench/timeline-svg';

const ready: StepSeries = { label: 'pods ready', color: '#4caf50', points: [{ at: 10, value: 2 }, { at: 30, value: 1 }, { at: 40, value: 0 }] };
const booting: StepSeries = { label: 'pods booting', color: '#ff9800', points: [{ at: 0, value: 2 }, { at: 10, value: 0 }] };
const backlog: StepSeries = { label: 'backlog <jobs>', color: '#e53935', points: [{ at: 0, value: 4 }, { at: 12, value: 0 }] };

/** Every element closed in order: what an XML parser needs of this hand-written SVG. */
function balanced(svg: string): boolean {
  const open: string[] = [];
  for (const [, closing, name, selfClosing] of svg.matchAll(/<(\/?)([a-zA-Z]+)[^>]*?(\/?)>/g)) {
    if (selfClosing) continue;
    if (!closing) open.push(name as string);
    else if (open.pop() !== name) return false;
  }
  return open.length === 0;
}

describe('step series', () => {
  it('holds each value until the next point, 0 before the first', () => {
    expect([-1, 0, 10, 29, 30, 45].map((t) => valueAt(ready, t))).toEqual([0, 0, 2, 2, 1, 0]);
  });

  it('lists the change times within the axis, with both ends', () => {
    expect(changeTimes([ready, booting], 0, 35)).toEqual([0, 10, 30, 35]);
  });

  it('draws a step line as horizontal runs', () => {
    expect(stepLine(backlog, 0, 20)).toEqual([[0, 4], [12, 4], [12, 0], [20, 0]]);
  });

  it('outlines a stacked layer between the layers under it and its own top', () => {
    // Booting sits on ready: from 0 to 10 ready is 0 and booting 2; from 10 booting is 0.
    expect(stackOutline([ready, booting], 1, 0, 20)).toEqual([
      [0, 2], [10, 2], [10, 2], [20, 2],
      [20, 2], [10, 2], [10, 0], [0, 0],
    ]);
  });
});

describe('panelPeak', () => {
  it('is the highest of the stack\'s top and the lines, so that panels can share a count axis', () => {
    expect(panelPeak({ title: 'p', from: 0, to: 40, stacked: [ready, booting], lines: [backlog] })).toBe(4);
    expect(panelPeak({ title: 'p', from: 0, to: 40, stacked: [ready, booting], lines: [] })).toBe(2);
  });
});

describe('tickStep', () => {
  it('picks 1, 2 or 5 times a power of ten', () => {
    expect(tickStep(150, 12)).toBe(20);
    expect(tickStep(6, 6)).toBe(1);
    expect(tickStep(0, 6)).toBe(1);
  });
});

describe('timelineSvg', () => {
  const panel: TimelinePanel = { title: 'Scaling 0-3 pods', from: 0, to: 40_000, stacked: [ready, booting], lines: [backlog], marks: [{ at: 5_000, label: 'burst 1 & more' }] };

  it('writes a well-formed SVG with a legend entry per series, axis labels and escaped text', () => {
    const svg = timelineSvg('a day', [panel, { ...panel, title: 'fixed' }], 'provision 1 s + boot 4 s');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(balanced(svg)).toBe(true);
    expect(svg).toContain('backlog &lt;jobs&gt;');
    expect(svg).toContain('burst 1 &amp; more');
    expect(svg).toContain('>time (s)<');
    expect(svg.match(/<polygon /g)).toHaveLength(4);
    expect(svg.match(/<polyline /g)).toHaveLength(2);
    expect(svg).toContain('>provision 1 s + boot 4 s<');
  });

  it('escapes every XML special character', () => {
    expect(escapeXml('a < b & "c" > d')).toBe('a &lt; b &amp; &quot;c&quot; &gt; d');
  });
});
