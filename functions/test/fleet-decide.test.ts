import { FLEET_DEFAULTS, type EffectiveFleetSettings } from '@vidgen/contract';
import { decideFleet, trimHistory, type FleetHistoryEntry, type FleetInput, type FleetPodView } from '../src/fleet/decide';

const NOW = new Date('2026-06-01T12:00:00.000Z');
const RTX_4090 = 'NVIDIA GeForce RTX 4090';
const L40S = 'NVIDIA L40S';

const settings = (overrides: Partial<EffectiveFleetSettings> = {}): EffectiveFleetSettings => ({
  ...FLEET_DEFAULTS,
  enabled: true,
  maxPods: 4,
  jobsPerPod: 2,
  scaleUpStep: 2,
  scaleDownStabilisationSeconds: 300,
  gpuTypeIds: [RTX_4090, L40S],
  template: { image: 'ghcr.io/vidgen/gpu-worker:1' },
  bootTimeoutSeconds: 600,
  ...overrides,
});

const ago = (seconds: number, from = NOW): Date => new Date(from.getTime() - seconds * 1000);

function pod(id: string, overrides: Partial<FleetPodView> = {}): FleetPodView {
  return { id, name: `vidgen-fleet-${id}`, status: 'RUNNING', createdAt: ago(1200), worker: null, ...overrides };
}

/** A pod whose worker registered and heartbeats. */
function ready(id: string, running = 0, overrides: Partial<NonNullable<FleetPodView['worker']>> = {}): FleetPodView {
  return pod(id, { worker: { state: 'ready', running, heartbeatAt: ago(2), drainRequested: false, ...overrides } });
}

function input(overrides: Partial<FleetInput> = {}): FleetInput {
  return { settings: settings(), now: NOW, backlog: 0, running: 0, pods: [], history: [], ...overrides };
}

/** A history in which demand asked for `wanted` every minute over the last `seconds`. */
function steady(wanted: number, seconds: number, until = NOW): FleetHistoryEntry[] {
  return Array.from({ length: Math.floor(seconds / 60) + 1 }, (_, i) => ({ at: ago(seconds - i * 60, until), wanted }));
}

describe('decideFleet', () => {
  it('starts pods for a burst at zero pods, by at most scaleUpStep, on the GPU types in order', () => {
    const decision = decideFleet(input({ backlog: 7 }));
    expect(decision).toMatchObject({ wanted: 4, desired: 2, current: 0, pendingBoots: 2 });
    expect(decision.actions).toEqual([{ kind: 'create', count: 2, gpuTypeIds: [RTX_4090, L40S] }]);
    expect(decision.reason).toContain('backlog 7 + running 0 at 2 per pod wants 4 pod(s)');
    expect(decision.reason).toContain('at most 2 per tick');
  });

  it('counts booting pods as capacity on the way, and does not create them twice', () => {
    const booting = [pod('a', { status: 'STARTING', createdAt: ago(60) }), pod('b', { status: 'PROVISIONING', createdAt: ago(60) })];
    const decision = decideFleet(input({ backlog: 7, pods: booting }));
    expect(decision).toMatchObject({ current: 2, desired: 4, pendingBoots: 4 });
    expect(decision.actions).toEqual([{ kind: 'create', count: 2, gpuTypeIds: [RTX_4090, L40S] }]);
  });

  it('does nothing in a steady state', () => {
    const decision = decideFleet(input({ backlog: 1, running: 3, pods: [ready('a', 2), ready('b', 1)], history: steady(2, 600) }));
    expect(decision).toMatchObject({ wanted: 2, desired: 2, current: 2, pendingBoots: 0, draining: 0 });
    expect(decision.actions).toEqual([]);
  });

  it('keeps minPods however quiet, and never exceeds maxPods', () => {
    expect(decideFleet(input({ settings: settings({ minPods: 1 }) })).actions).toEqual([{ kind: 'create', count: 1, gpuTypeIds: [RTX_4090, L40S] }]);
    const capped = decideFleet(input({ settings: settings({ maxPods: 3, scaleUpStep: 10 }), backlog: 100, pods: [ready('a', 2)] }));
    expect(capped).toMatchObject({ wanted: 3, desired: 3 });
    expect(capped.actions).toEqual([{ kind: 'create', count: 2, gpuTypeIds: [RTX_4090, L40S] }]);
  });

  it('drains pods above a lowered maxPods at once, the idlest first', () => {
    const decision = decideFleet(input({ settings: settings({ maxPods: 1 }), running: 2, pods: [ready('a', 2), ready('b', 0)] }));
    expect(decision.desired).toBe(1);
    expect(decision.actions).toEqual([{ kind: 'drain', podId: 'b', workerId: 'vidgen-fleet-b' }]);
  });

  it('keeps the warm minimum during its UTC hours only, wrapping past midnight', () => {
    const warm = settings({ warmHours: { fromHour: 22, toHour: 13, minPods: 2 } });
    expect(decideFleet(input({ settings: warm })).desired).toBe(2);
    const afternoon = new Date('2026-06-01T15:00:00.000Z');
    const quiet = decideFleet(input({ settings: warm, now: afternoon, pods: [ready('a'), ready('b')].map((p) => ({ ...p, worker: { ...p.worker!, heartbeatAt: ago(2, afternoon) } })), history: steady(0, 600, afternoon) }));
    expect(quiet.desired).toBe(0);
  });

  it('drains then stops: marks the idle pod, waits while it runs, stops it once its worker reports nothing running', () => {
    const quiet = input({ pods: [ready('a', 0), ready('b', 1)], running: 1, history: steady(1, 600) });
    expect(decideFleet(quiet).actions).toEqual([{ kind: 'drain', podId: 'a', workerId: 'vidgen-fleet-a' }]);

    const finishing = ready('a', 1, { state: 'draining', drainRequested: true });
    const waiting = decideFleet({ ...quiet, running: 2, pods: [finishing, ready('b', 1)], history: steady(1, 600) });
    expect(waiting.actions).toEqual([]);
    expect(waiting).toMatchObject({ current: 1, draining: 1 });

    const done = ready('a', 0, { state: 'draining', drainRequested: true });
    expect(decideFleet({ ...quiet, pods: [done, ready('b', 1)] }).actions).toEqual([{ kind: 'terminate', podId: 'a', why: 'drained: nothing runs there' }]);
    expect(decideFleet({ ...quiet, settings: settings({ stopPolicy: 'stop' }), pods: [done, ready('b', 1)] }).actions).toEqual([
      { kind: 'stop', podId: 'a', why: 'drained: nothing runs there' },
    ]);
  });

  it('does not stop a pod asked to drain until its worker has acknowledged it', () => {
    const asked = ready('a', 0, { drainRequested: true });
    expect(decideFleet(input({ pods: [asked], history: steady(0, 600) })).actions).toEqual([]);
  });

  it('takes a draining pod back before creating one when demand returns', () => {
    const decision = decideFleet(input({ backlog: 3, pods: [ready('a', 1, { state: 'draining', drainRequested: true })] }));
    expect(decision.actions).toEqual([
      { kind: 'undrain', podId: 'a', workerId: 'vidgen-fleet-a' },
      { kind: 'create', count: 1, gpuTypeIds: [RTX_4090, L40S] },
    ]);
  });

  it('replaces a pod whose worker never registered within the boot timeout, and waits for one still booting', () => {
    const stuck = pod('a', { status: 'RUNNING', createdAt: ago(601) });
    const young = pod('b', { status: 'STARTING', createdAt: ago(300) });
    const decision = decideFleet(input({ backlog: 4, pods: [stuck, young] }));
    expect(decision.actions).toEqual([
      { kind: 'replace', podId: 'a', why: 'no worker registered within 600 s' },
      { kind: 'create', count: 1, gpuTypeIds: [RTX_4090, L40S] },
    ]);
    expect(decision).toMatchObject({ current: 1, desired: 2, pendingBoots: 2 });
  });

  it('replaces a pod whose worker went silent for the boot timeout, not one that missed a few heartbeats', () => {
    const silent = ready('a', 0, { heartbeatAt: ago(601) });
    const late = ready('b', 0, { heartbeatAt: ago(30) });
    const decision = decideFleet(input({ backlog: 4, pods: [silent, late] }));
    expect(decision.actions[0]).toEqual({ kind: 'replace', podId: 'a', why: 'no worker registered within 600 s' });
    expect(decision.current).toBe(1);
  });

  it('terminates pods in ERROR and, under the terminate policy, stopped ones; restarts stopped ones under the stop policy', () => {
    const pods = [pod('a', { status: 'ERROR' }), pod('b', { status: 'EXITED' }), pod('c', { status: 'TERMINATED' })];
    expect(decideFleet(input({ pods, history: steady(0, 600) })).actions).toEqual([
      { kind: 'terminate', podId: 'a', why: 'the pod is in ERROR' },
      { kind: 'terminate', podId: 'b', why: 'stopped, and the stop policy is terminate' },
    ]);
    expect(decideFleet(input({ settings: settings({ stopPolicy: 'stop' }), backlog: 4, pods })).actions).toEqual([
      { kind: 'terminate', podId: 'a', why: 'the pod is in ERROR' },
      { kind: 'start', podId: 'b' },
      { kind: 'create', count: 1, gpuTypeIds: [RTX_4090, L40S] },
    ]);
  });

  it('says why it cannot create pods without a template or GPU types', () => {
    const decision = decideFleet(input({ settings: settings({ template: null }), backlog: 2 }));
    expect(decision.actions).toEqual([]);
    expect(decision.reason).toContain('cannot create 1 pod(s): config/fleet has no template');
  });

  describe('stabilisation', () => {
    it('holds while the window is not yet covered by history', () => {
      const decision = decideFleet(input({ pods: [ready('a'), ready('b')], history: steady(0, 120) }));
      expect(decision.desired).toBe(2);
      expect(decision.actions).toEqual([]);
      expect(decision.reason).toContain('no demand history over the last 300 s yet');
    });

    it('holds while demand was higher within the window, then scales down to the highest demand in it', () => {
      const pods = [ready('a'), ready('b'), ready('c')];
      const history = [...steady(3, 600, ago(240)), { at: ago(180), wanted: 2 }, { at: ago(60), wanted: 1 }];
      expect(decideFleet(input({ pods, history })).desired).toBe(3);
      const later = new Date(NOW.getTime() + 90_000);
      const fresh = pods.map((p) => ({ ...p, worker: { ...p.worker!, heartbeatAt: ago(2, later) } }));
      const decision = decideFleet(input({ now: later, pods: fresh, history }));
      expect(decision.desired).toBe(2);
      expect(decision.actions).toHaveLength(1);
    });

    it('never reverses a scale-up within the window as demand comes and goes', () => {
      const start = NOW.getTime();
      let pods: FleetPodView[] = [];
      let history: FleetHistoryEntry[] = [];
      const desired: number[] = [];
      // A burst, then quiet; one tick a minute for the length of the window.
      const backlogs = [8, 8, 0, 0, 0, 0];
      backlogs.forEach((backlog, minute) => {
        const now = new Date(start + minute * 60_000);
        const decision = decideFleet(input({ now, backlog, pods, history }));
        history = trimHistory(history, { at: now, wanted: decision.wanted }, settings());
        desired.push(decision.desired);
        const created = decision.actions.find((a) => a.kind === 'create')?.count ?? 0;
        const heartbeatAt = new Date(now.getTime() - 1000);
        pods = [
          ...pods.map((p) => ({ ...p, worker: { state: 'ready' as const, running: 0, heartbeatAt, drainRequested: false } })),
          ...Array.from({ length: created }, (_, i) => pod(`m${minute}-${i}`, { createdAt: now, worker: { state: 'ready' as const, running: 0, heartbeatAt, drainRequested: false } })),
        ];
        expect(decision.actions.some((a) => a.kind === 'drain' || a.kind === 'stop' || a.kind === 'terminate')).toBe(false);
      });
      expect(desired).toEqual([2, 4, 4, 4, 4, 4]);
      const after = new Date(start + 7 * 60_000);
      const freshPods = pods.map((p) => ({ ...p, worker: { ...p.worker!, heartbeatAt: ago(1, after) } }));
      expect(decideFleet(input({ now: after, pods: freshPods, history })).desired).toBe(0);
    });
  });
});

describe('trimHistory', () => {
  it('keeps the window and the newest entry before it', () => {
    const history = [{ at: ago(900), wanted: 1 }, { at: ago(400), wanted: 2 }, { at: ago(200), wanted: 3 }];
    expect(trimHistory(history, { at: NOW, wanted: 0 }, settings()).map((h) => h.wanted)).toEqual([2, 3, 0]);
  });
});
