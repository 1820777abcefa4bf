import { idleWithWork } from '../bench/idle-gap';
import { combineRuns, type Figure } from '../bench/report';
import { ms } from '../bench/stats';

const timed = (value: number): Figure => ({ id: '1', name: 'our code', value: ms(value), target: '< 300 ms', pass: value < 300, sample: { value, format: ms, judge: (v) => v < 300 } });
const errors = (other: number): Figure => ({ id: '6', name: 'other errors', value: `100 / 100 / ${other}`, target: 'other = 0', pass: other === 0, sample: { value: other, format: String, judge: (v) => v === 0, judgeEvery: true } });

describe('combineRuns', () => {
  it('gives the median of the runs with their spread, judged on the median', () => {
    const [figure] = combineRuns([[timed(320)], [timed(250)], [timed(280)]]);
    expect(figure?.pass).toBe(true);
    expect(figure?.value).toBe('280 ms median of 3 (spread 250 ms–320 ms; runs: 320 ms, 250 ms, 280 ms)');
    expect(figure?.target).toBe('< 300 ms (median)');
  });

  it('judges a figure that must hold each time on every run, listing what each run saw', () => {
    const [figure] = combineRuns([[errors(0)], [errors(2)], [errors(0)]]);
    expect(figure?.pass).toBe(false);
    expect(figure?.value).toBe('worst 2 of 3 runs (100 / 100 / 0; 100 / 100 / 2; 100 / 100 / 0)');
  });

  it('counts a run that measured nothing as a miss', () => {
    const [figure] = combineRuns([[timed(100)], [], [timed(120)]]);
    expect(figure?.pass).toBe(false);
    expect(figure?.value).toContain('not measured');
  });

  it('keeps a single run as it is', () => {
    const single = timed(100);
    expect(combineRuns([[single]])).toEqual([single]);
  });
});

describe('idleWithWork', () => {
  it('counts only the time the GPU ran nothing while a job was written and not yet running', () => {
    const executing = [{ start: 0, end: 10 }, { start: 12, end: 20 }, { start: 30, end: 40 }];
    // Job 2 waited from 5 to 12 (idle 10-12 counts); job 3 was written at 25 (idle 20-25 does not count, 25-30 does).
    const waiting = [{ start: 5, end: 12 }, { start: 25, end: 30 }];
    expect(idleWithWork(executing, waiting, 0, 40)).toEqual({ longest: 5, total: 7 });
  });

  it('is zero when the next prompt always starts as the last ends', () => {
    expect(idleWithWork([{ start: 0, end: 10 }, { start: 10, end: 20 }], [{ start: 2, end: 10 }], 0, 20)).toEqual({ longest: 0, total: 0 });
  });
});
