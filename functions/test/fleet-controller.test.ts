import { COLLECTIONS, FLEET_POD_PREFIX, FLEET_SETTINGS_DOCUMENT, FLEET_STATE_DOCUMENT, type FleetSettings, type WorkerRecord } from '@vidgen/contract';
import { RunpodClient, type Pod } from '@vidgen/runpod';
import { createRunpodSimulator, type RunpodSimulator } from '../../provider-sims/src/simulators';
import { FleetController, type FleetLog } from '../src/fleet/controller';
import { unitFirestore, type UnitFirestore } from '../../test/support/unit-firestore';
import { claimJob, seedJob, testServices, type TestServices } from './support/services';

jest.setTimeout(20_000);

const API_KEY = 'rpa_fleet_test';
const RTX_4090 = 'NVIDIA GeForce RTX 4090';
const L40S = 'NVIDIA L40S';

const FLEET: FleetSettings = {
  enabled: true,
  maxPods: 3,
  jobsPerPod: 1,
  scaleUpStep: 2,
  scaleDownStabilisationSeconds: 0,
  gpuTypeIds: [RTX_4090, L40S],
  template: { image: 'ghcr.io/vidgen/gpu-worker:test', networkVolumeId: 'vol_models', env: { LOG_LEVEL: 'info' } },
  bootTimeoutSeconds: 600,
};

/**
 * The fleet controller on the Firestore emulator (a project per test) against the RunPod simulator,
 * driven through our RunPod client. Workers are stood in for by their `workers/{id}` records.
 */
describe('FleetController', () => {
  let firestore: UnitFirestore;
  let t: TestServices;
  let sim: RunpodSimulator;
  let runpod: RunpodClient;
  let controller: FleetController;
  const logged: Array<{ message: string; fields: object }> = [];
  const log: FleetLog = { info: (message, fields) => logged.push({ message, fields }), warn: (message, fields) => logged.push({ message, fields }) };

  beforeEach(async () => {
    firestore = unitFirestore('fleet');
    t = testServices(firestore);
    sim = await createRunpodSimulator({
      apiKey: API_KEY,
      provisionMs: 10,
      bootMs: 20,
      logLevel: 'silent',
      gpuTypes: { [RTX_4090]: { hourlyRate: 0.44 }, [L40S]: { hourlyRate: 0.86 } },
      dataCenters: ['US-KS-2', 'EU-RO-1'],
      networkVolumes: { vol_models: 'US-KS-2' },
    });
    runpod = new RunpodClient({ apiKey: API_KEY, baseUrl: sim.url, retry: { baseDelayMs: 5, maxDelayMs: 20 } });
    // Workers here are records the test writes: a drain is acknowledged only where a test does so.
    controller = new FleetController({ db: firestore.db, runpod, log, drainAckWaitMs: 500 });
    logged.length = 0;
  });
  afterEach(async () => {
    await sim.close();
    await firestore.close();
  });

  const configure = (settings: FleetSettings) => firestore.db.doc(FLEET_SETTINGS_DOCUMENT).set(settings);
  const state = async () => (await firestore.db.doc(FLEET_STATE_DOCUMENT).get()).data()!;
  const ours = async (): Promise<Pod[]> => (await runpod.listPods()).filter((pod) => pod.name.startsWith(FLEET_POD_PREFIX));
  const backlog = async (count: number) => {
    for (let i = 0; i < count; i += 1) await seedJob(t.services, { plan: ['animatediff'] });
  };

  /** What a pod's worker would write: registered, fresh, with `running` attempts. */
  const register = (name: string, overrides: Partial<WorkerRecord> = {}) =>
    firestore.db.collection(COLLECTIONS.workers).doc(name).set({
      workerId: name,
      url: `http://${name}.internal:8000`,
      state: 'ready',
      capacity: 1,
      running: 0,
      tiersReady: ['animatediff', 'svd'],
      pullsBacklog: true,
      modelsLoaded: [],
      comfyuiVersion: null,
      gpu: RTX_4090,
      startedAt: new Date(),
      heartbeatAt: new Date(),
      ...overrides,
    }, { merge: true });

  it('does nothing while config/fleet is absent, and says autoscaling is off', async () => {
    await backlog(2);
    const tick = await controller.tick();
    expect(tick.decision).toBeNull();
    expect(await ours()).toEqual([]);
    expect(await state()).toMatchObject({ enabled: false, reason: expect.stringContaining('autoscaling is off') });
  });

  it('starts pods for a burst at zero pods, by the scale-up step, named and registered under the fleet prefix', async () => {
    await configure(FLEET);
    await backlog(3);

    const tick = await controller.tick();

    expect(tick.decision).toMatchObject({ wanted: 3, desired: 2, current: 0, pendingBoots: 2 });
    const pods = await ours();
    expect(pods).toHaveLength(2);
    for (const pod of pods) {
      expect(pod).toMatchObject({ gpu: expect.objectContaining({ id: RTX_4090 }), dataCenterId: 'US-KS-2', image: FLEET.template!.image });
      expect(pod.env).toEqual({ LOG_LEVEL: 'info', WORKER_ID: pod.name });
      expect(pod.mounts.network).toEqual([{ volumeId: 'vol_models', path: '/workspace' }]);
    }
    const written = await state();
    expect(written).toMatchObject({ enabled: true, desired: 2, current: 0, pendingBoots: 2, backlog: 3, running: 0, rateWarning: null });
    expect(written.lastDecision.reason).toContain('backlog 3 + running 0 at 1 per pod wants 3 pod(s)');
    expect(written.lastDecision.actions).toEqual(pods.map(() => expect.objectContaining({ ok: true, detail: expect.stringContaining(`on ${RTX_4090}`) })));
    expect(logged.at(-1)?.message).toContain('Fleet: backlog 3');
    // Listed at once with their rates: each pod's worker reads its own when it starts.
    expect(written.pods).toHaveLength(2);
    expect(written.pods).toEqual(expect.arrayContaining(pods.map((pod) => expect.objectContaining({ id: pod.id, name: pod.name, gpu: RTX_4090, costPerHour: 0.44 }))));

    // The next tick counts the booting pods and adds the last one.
    const next = await controller.tick();
    expect(next.decision).toMatchObject({ current: 2, desired: 3 });
    expect(await ours()).toHaveLength(3);
  });

  it('falls back to the next GPU type when RunPod has no capacity for the first', async () => {
    await configure({ ...FLEET, scaleUpStep: 1 });
    await backlog(1);
    sim.script({ outcome: 'no_capacity', gpuTypeId: RTX_4090, times: 1 });
    // Budgets reserve GPU attempts at the RTX 4090's rate here.
    const reserving = new FleetController({ db: firestore.db, runpod, log, reservedUsdPerHour: 0.44 });

    const tick = await reserving.tick();

    expect(tick.outcomes).toEqual([expect.objectContaining({ ok: true, detail: expect.stringContaining(`on ${L40S} (refused: ${RTX_4090})`) })]);
    expect((await ours()).map((pod) => pod.gpu?.id)).toEqual([L40S]);
    expect((await state()).rateWarning).toMatch(/bills \$0\.86\/h, above the \$0\.44\/h that budgets reserve/);
  });

  it('reports a create that no GPU type can place, and writes the state all the same', async () => {
    await configure({ ...FLEET, scaleUpStep: 1 });
    await backlog(1);
    sim.script({ outcome: 'no_capacity', times: 2 });

    const tick = await controller.tick();

    expect(tick.outcomes).toEqual([expect.objectContaining({ ok: false })]);
    expect(await ours()).toEqual([]);
    expect((await state()).lastDecision.actions[0].ok).toBe(false);
    expect(logged.at(-1)?.fields).toMatchObject({ metric: 'fleet_action_failed' });
  });

  it('skips a tick while another holds the lease on fleet/state, and takes over a lease a dead tick left', async () => {
    await configure(FLEET);
    await backlog(1);
    const lease = (ms: number) => firestore.db.doc(FLEET_STATE_DOCUMENT).set({ tickLeaseUntil: new Date(Date.now() + ms) }, { merge: true });

    await lease(60_000);
    expect(await controller.tick()).toMatchObject({ skipped: true, decision: null });
    expect(await ours()).toEqual([]);

    await lease(-1);
    expect((await controller.tick()).skipped).toBeUndefined();
    expect(await ours()).toHaveLength(1);
    expect((await state()).tickLeaseUntil).toBeUndefined();
  });

  it('frees the lease and records the error when RunPod cannot be read, so the next tick runs at once', async () => {
    await configure(FLEET);
    await backlog(1);
    sim.script({ outcome: 'server_error', operation: 'listPods', times: 4 });

    await expect(controller.tick()).rejects.toMatchObject({ code: 'runpod/server' });
    const written = await state();
    expect(written.tickLeaseUntil).toBeUndefined();
    expect(written.lastError.message).toBeTruthy();

    expect((await controller.tick()).skipped).toBeUndefined();
    expect(await ours()).toHaveLength(1);
  });

  it('finds a pod a crashed tick created but never recorded, and leaves pods that are not the fleet\'s alone', async () => {
    await configure(FLEET);
    await backlog(1);
    const orphan = await runpod.createPod({ name: `${FLEET_POD_PREFIX}orphan`, image: 'x', gpu: { id: RTX_4090 } });
    await runpod.createPod({ name: 'someone-elses-pod', image: 'x', gpu: { id: RTX_4090 } });

    const tick = await controller.tick();

    expect(tick.decision).toMatchObject({ current: 1, desired: 1, actions: [] });
    expect((await ours()).map((pod) => pod.id)).toEqual([orphan.id]);
    expect((await runpod.listPods()).map((pod) => pod.name).sort()).toEqual(['someone-elses-pod', `${FLEET_POD_PREFIX}orphan`]);
  });

  it('drains an idle pod, waits while it runs, then terminates it and removes its record', async () => {
    await configure(FLEET);
    const busy = await runpod.createPod({ name: `${FLEET_POD_PREFIX}busy`, image: 'x', gpu: { id: RTX_4090 } });
    const idle = await runpod.createPod({ name: `${FLEET_POD_PREFIX}idle`, image: 'x', gpu: { id: RTX_4090 } });
    await register(busy.name, { running: 1 });
    await register(idle.name, { running: 0 });
    const jobId = await seedJob(t.services, { plan: ['animatediff'] });
    await claimJob(t.services, jobId, { workerId: busy.name });

    const first = await controller.tick();
    expect(first.decision?.actions).toEqual([{ kind: 'drain', podId: idle.id, workerId: idle.name }]);
    const marked = await firestore.db.collection(COLLECTIONS.workers).doc(idle.name).get();
    expect(marked.get('drainRequestedAt')).toBeTruthy();

    // Not acknowledged yet: nothing is stopped.
    expect((await controller.tick()).decision?.actions).toEqual([]);
    // The worker acknowledges (its heartbeat says draining) with nothing running.
    await register(idle.name, { state: 'draining', running: 0 });
    const third = await controller.tick();
    expect(third.decision?.actions).toEqual([{ kind: 'terminate', podId: idle.id, why: 'drained: nothing runs there' }]);
    expect((await ours()).map((pod) => pod.id)).toEqual([busy.id]);
    expect((await firestore.db.collection(COLLECTIONS.workers).doc(idle.name).get()).exists).toBe(false);
  });

  it('terminates a pod it drained in the same tick once its worker acknowledges with nothing running', async () => {
    await configure(FLEET);
    const pod = await runpod.createPod({ name: `${FLEET_POD_PREFIX}idle`, image: 'x', gpu: { id: RTX_4090 } });
    await register(pod.name, { running: 0 });
    // The pod's worker, as it answers the mark through its listener.
    const record = firestore.db.collection(COLLECTIONS.workers).doc(pod.name);
    const unwatch = record.onSnapshot((snap) => {
      if (snap.get('drainRequestedAt') && snap.get('state') === 'ready') void register(pod.name, { state: 'draining', running: 0 });
    });
    const waiting = new FleetController({ db: firestore.db, runpod, log });

    try {
      const tick = await waiting.tick();
      expect(tick.decision?.actions).toEqual([{ kind: 'drain', podId: pod.id, workerId: pod.name }]);
      expect(tick.outcomes).toEqual([
        { action: `drain ${pod.id}`, ok: true },
        { action: `terminate ${pod.id}`, ok: true, detail: 'drained: its worker acknowledged with nothing running' },
      ]);
    } finally {
      unwatch();
    }
    expect(await ours()).toEqual([]);
    expect((await record.get()).exists).toBe(false);
    expect(await state()).toMatchObject({ draining: 0, current: 1, desired: 0 });
  });

  it('takes no record written before its drain mark for the acknowledgement', async () => {
    await configure(FLEET);
    const pod = await runpod.createPod({ name: `${FLEET_POD_PREFIX}idle`, image: 'x', gpu: { id: RTX_4090 } });
    // What a worker that stopped heartbeating just after reporting draining would leave (fresh enough to count as registered).
    await register(pod.name, { state: 'draining', running: 0, heartbeatAt: new Date(Date.now() - 5_000) });

    const tick = await controller.tick();

    expect(tick.decision?.actions).toEqual([{ kind: 'drain', podId: pod.id, workerId: pod.name }]);
    expect(tick.outcomes).toEqual([{ action: `drain ${pod.id}`, ok: true }]);
    expect((await ours()).map((p) => p.id)).toEqual([pod.id]);
  });

  it('stops rather than terminates a drained pod under the stop policy', async () => {
    await configure({ ...FLEET, stopPolicy: 'stop' });
    const pod = await runpod.createPod({ name: `${FLEET_POD_PREFIX}a`, image: 'x', gpu: { id: RTX_4090 } });
    await register(pod.name, { state: 'draining', running: 0, drainRequestedAt: new Date() });

    await controller.tick();

    expect(await ours()).toEqual([expect.objectContaining({ id: pod.id, status: 'EXITED' })]);
  });

  it('replaces a pod whose worker never registered within the boot timeout', async () => {
    await configure({ ...FLEET, bootTimeoutSeconds: 1 });
    await backlog(1);
    const stuck = await runpod.createPod({ name: `${FLEET_POD_PREFIX}stuck`, image: 'x', gpu: { id: RTX_4090 } });
    await new Promise((resolve) => setTimeout(resolve, 1100));

    const tick = await controller.tick();

    expect(tick.decision?.actions).toEqual([
      { kind: 'replace', podId: stuck.id, why: 'no worker registered within 1 s' },
      { kind: 'create', count: 1, gpuTypeIds: [RTX_4090, L40S] },
    ]);
    const pods = await ours();
    expect(pods).toHaveLength(1);
    expect(pods[0]!.id).not.toBe(stuck.id);
  });
  it('never creates past maxPods, even when the pod it replaces cannot be terminated', async () => {
    await configure({ ...FLEET, maxPods: 1, bootTimeoutSeconds: 1 });
    await backlog(1);
    const stuck = await runpod.createPod({ name: `${FLEET_POD_PREFIX}stuck`, image: 'x', gpu: { id: RTX_4090 } });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    sim.script({ outcome: 'server_error', operation: 'deletePod', times: 4 });

    const tick = await controller.tick();

    expect(tick.outcomes).toEqual([
      expect.objectContaining({ action: `replace ${stuck.id}`, ok: false }),
      { action: 'create', ok: false, detail: '1 pod(s) not created: 1 pod(s) still bill, and maxPods is 1' },
    ]);
    expect((await ours()).map((pod) => pod.id)).toEqual([stuck.id]);
  });

  it('writes nothing when another tick took its lease over while it acted', async () => {
    await configure({ ...FLEET, scaleUpStep: 1 });
    await backlog(1);
    const takeOver = () => firestore.db.doc(FLEET_STATE_DOCUMENT).set({ tickLeaseOwner: 'a later tick', tickLeaseUntil: new Date(Date.now() + 60_000) }, { merge: true });
    class SlowClient extends RunpodClient {
      override async createPod(...args: Parameters<RunpodClient['createPod']>) {
        await takeOver();
        return super.createPod(...args);
      }
    }
    const overran = new FleetController({ db: firestore.db, runpod: new SlowClient({ apiKey: API_KEY, baseUrl: sim.url }), log });

    await overran.tick();

    expect(await state()).toEqual({ tickLeaseOwner: 'a later tick', tickLeaseUntil: expect.anything() });
    expect(logged).toContainEqual({ message: expect.stringContaining('lost its lease'), fields: expect.objectContaining({ metric: 'fleet_action_failed' }) });
  });

  it('creates nothing while the backend policy sends no attempt to pods, and says why', async () => {
    await configure(FLEET);
    await backlog(2);
    const off = new FleetController({ db: firestore.db, runpod, log, offReason: 'BACKEND_POLICY is replicate-only' });

    expect((await off.tick()).decision).toBeNull();
    expect(await ours()).toEqual([]);
    expect(await state()).toMatchObject({ enabled: false, reason: 'BACKEND_POLICY is replicate-only' });
  });
});
