import { ProgressTracker, stageOfNode } from '../src/attempts/stages';
import type { ProgressUpdate } from '@vidgen/contract';
import { buildAnimateDiffGraph, loadWorkflow } from '../src/comfy/workflows';

const graph = buildAnimateDiffGraph(loadWorkflow('animatediff'), { frameCount: 24, steps: 10 });

describe('stageOfNode', () => {
  it('maps node classes to stages; loaders and anything unknown are loading_models', () => {
    expect(stageOfNode(graph, '6')).toBe('sampling');
    expect(stageOfNode(graph, '8')).toBe('decoding');
    expect(stageOfNode(graph, '9')).toBe('encoding');
    for (const id of ['1', '2', '3', '4', '5', '7']) expect(stageOfNode(graph, id)).toBe('loading_models');
    expect(stageOfNode(graph, 'no-such-node')).toBe('loading_models');
  });
});

describe('ProgressTracker', () => {
  let updates: ProgressUpdate[];
  let tracker: ProgressTracker;

  beforeEach(() => {
    jest.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z') });
    updates = [];
    tracker = new ProgressTracker(graph, (update) => updates.push(update));
  });
  afterEach(() => jest.useRealTimers());

  it('follows the stage of the executing node', () => {
    tracker.setStage('starting', null, null, null);
    tracker.node('1');
    tracker.node('6');
    tracker.node('8');
    tracker.node('9');
    expect(updates.map((u) => u.stage)).toEqual(['starting', 'loading_models', 'sampling', 'decoding', 'encoding']);
    expect(updates.map((u) => u.percent)).toEqual([0, 2, 8, 85, 90]);
  });

  it('does not fall back to loading_models once past it', () => {
    tracker.node('1');
    tracker.node('6');
    tracker.node('4');
    tracker.node('8');
    tracker.node('5');
    expect(updates.map((u) => u.stage)).toEqual(['loading_models', 'sampling', 'decoding']);
  });

  it('sampling percent rises with the steps, with an ETA from the second step on', () => {
    tracker.node('6');
    for (let value = 1; value <= 10; value += 1) {
      tracker.progress('6', value, 10);
      jest.advanceTimersByTime(1000);
    }
    const steps = updates.filter((u) => u.step !== null);
    expect(steps.map((u) => u.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(steps.every((u) => u.stage === 'sampling' && u.totalSteps === 10)).toBe(true);
    const percents = steps.map((u) => u.percent);
    for (let i = 1; i < percents.length; i += 1) expect(percents[i]!).toBeGreaterThan(percents[i - 1]!);
    expect(percents[0]).toBeGreaterThan(8);
    expect(percents.at(-1)).toBe(85);
    expect(steps[0]?.etaSeconds).toBeNull();
    // 1 s a step, 8 steps left, times 1.15 for the decode and encode that follow.
    expect(steps[1]?.etaSeconds).toBeCloseTo(9.2, 5);
    expect(steps[5]?.etaSeconds).toBeCloseTo(4.6, 5);
    expect(steps.at(-1)?.etaSeconds).toBe(0);
    const etas = steps.slice(1).map((u) => u.etaSeconds as number);
    for (let i = 1; i < etas.length; i += 1) expect(etas[i]!).toBeLessThan(etas[i - 1]!);
  });

  it('enters sampling on a first progress event even without the node event', () => {
    tracker.progress('6', 1, 4);
    expect(updates.map((u) => [u.stage, u.step])).toEqual([['sampling', null], ['sampling', 1]]);
  });

  it('ignores progress from nodes that are not samplers', () => {
    tracker.node('6');
    tracker.progress('6', 1, 10);
    const before = updates.length;
    tracker.progress('9', 3, 24);
    tracker.progress('8', 1, 1);
    tracker.progress('1', 1, 1);
    expect(updates).toHaveLength(before);
  });
});
