import { COLLECTIONS, FLEET_STATE_DOCUMENT } from '@vidgen/contract';
import { FieldValue } from 'firebase-admin/firestore';
import type { ComfySimulator } from '../../comfyui-sim/src/simulator';
import { AttemptManager } from '../src/attempts/attempt-manager';
import { ComfyClient } from '../src/comfy/client';
import { GraphChecker } from '../src/comfy/graph-check';
import { loadWorkflow } from '../src/comfy/workflows';
import { WorkerRegistration } from '../src/registration';
import type { WorkerServices } from '../src/services';
import { unitFirestore, type UnitFirestore } from '../../test/support/unit-firestore';
import { silentLog, startSim } from './support/comfy';

jest.setTimeout(20_000);

/** The heartbeat on the Firestore emulator, beside a ComfyUI simulator: how the worker answers the fleet's drain mark. */
describe('WorkerRegistration and the fleet drain mark', () => {
  let firestore: UnitFirestore;
  let sim: ComfySimulator;
  let manager: AttemptManager;
  let registration: WorkerRegistration;
  const WORKER_ID = 'vidgen-fleet-test';

  let services: WorkerServices;

  beforeEach(async () => {
    firestore = unitFirestore('registration');
    sim = await startSim();
    const comfy = new ComfyClient(sim.url);
    services = {
      config: { WORKER_ID, HEARTBEAT_SECONDS: 60, MAX_CONCURRENT_JOBS: 1, PULL_PENDING_ATTEMPTS: true, GPU_COST_PER_HOUR: 0.44 },
      log: silentLog,
      db: firestore.db,
      comfy,
      checker: new GraphChecker(comfy),
      workflows: { animatediff: loadWorkflow('animatediff'), svd: loadWorkflow('svd') },
      metrics: { capacity: { set: () => undefined }, running: { set: () => undefined } },
    } as unknown as WorkerServices;
    manager = new AttemptManager(services);
    registration = new WorkerRegistration(services, manager, 'http://127.0.0.1:8000');
  });
  afterEach(async () => {
    await registration.stop();
    await sim.close();
    await firestore.close();
  });

  const record = async () => (await firestore.db.collection(COLLECTIONS.workers).doc(WORKER_ID).get()).data()!;

  it('reports draining while the mark is set, keeps the mark through its heartbeats, and serves again once it is removed', async () => {
    await registration.beat();
    expect(await record()).toMatchObject({ workerId: WORKER_ID, state: 'ready' });

    await firestore.db.collection(COLLECTIONS.workers).doc(WORKER_ID).update({ drainRequestedAt: FieldValue.serverTimestamp() });
    await registration.beat();
    expect(manager.isDraining).toBe(true);
    const draining = await record();
    expect(draining).toMatchObject({ state: 'draining', running: 0 });
    expect(draining.drainRequestedAt).toBeTruthy();
    await registration.beat();
    expect((await record()).drainRequestedAt).toBeTruthy();

    await firestore.db.collection(COLLECTIONS.workers).doc(WORKER_ID).update({ drainRequestedAt: FieldValue.delete() });
    await registration.beat();
    expect(manager.isDraining).toBe(false);
    expect(await record()).toMatchObject({ state: 'ready' });
  });

  /** Resolves with the record once `accept` takes it, watching it as the controller's tick would. */
  const recordWhere = (accept: (data: FirebaseFirestore.DocumentData) => boolean) =>
    new Promise<FirebaseFirestore.DocumentData>((resolve) => {
      const stop = firestore.db.collection(COLLECTIONS.workers).doc(WORKER_ID).onSnapshot((snap) => {
        const data = snap.data();
        if (data && accept(data)) {
          stop();
          resolve(data);
        }
      });
    });

  it('acknowledges the mark and its removal at once, without waiting for a heartbeat', async () => {
    await registration.start();
    expect(await record()).toMatchObject({ state: 'ready' });
    const heartbeatAt = (await record()).heartbeatAt;

    const asked = Date.now();
    await firestore.db.collection(COLLECTIONS.workers).doc(WORKER_ID).update({ drainRequestedAt: FieldValue.serverTimestamp() });
    const draining = await recordWhere((data) => data.state === 'draining');
    expect(draining).toMatchObject({ running: 0 });
    expect(draining.heartbeatAt.toMillis()).toBeGreaterThan(heartbeatAt.toMillis());
    // The heartbeat is a minute apart here: only the listener can have answered this soon.
    expect(Date.now() - asked).toBeLessThan(10_000);
    expect(manager.isDraining).toBe(true);

    await firestore.db.collection(COLLECTIONS.workers).doc(WORKER_ID).update({ drainRequestedAt: FieldValue.delete() });
    await recordWhere((data) => data.state === 'ready');
    expect(manager.isDraining).toBe(false);
  });

  it('records the hourly rate fleet/state lists for its pod, and GPU_COST_PER_HOUR when it is not a fleet pod', async () => {
    await registration.beat();
    expect(manager.usdPerHour).toBe(0.44);
    expect(await record()).toMatchObject({ usdPerHour: 0.44 });
    await registration.stop();

    // The controller lists the pod it created on the second GPU type of its list, at that type's rate.
    await firestore.db.doc(FLEET_STATE_DOCUMENT).set({ pods: [{ id: 'pod-a', name: 'vidgen-fleet-other', costPerHour: 1.64 }, { id: 'pod-b', name: WORKER_ID, costPerHour: 0.86 }] });
    const fleetPod = new WorkerRegistration(services, manager, 'http://127.0.0.1:8000');
    await fleetPod.beat();
    expect(manager.usdPerHour).toBe(0.86);
    expect(await record()).toMatchObject({ usdPerHour: 0.86 });
    await fleetPod.stop();
  });

  it('never brings its record back once stopped, even with a heartbeat under way', async () => {
    await registration.beat();
    const underWay = registration.beat();
    await registration.stop();
    await underWay;
    await registration.beat();
    expect((await firestore.db.collection(COLLECTIONS.workers).doc(WORKER_ID).get()).exists).toBe(false);
  });

  it('writes no record once the fleet has removed it while draining, and keeps holding', async () => {
    await registration.beat();
    await firestore.db.collection(COLLECTIONS.workers).doc(WORKER_ID).update({ drainRequestedAt: FieldValue.serverTimestamp() });
    await registration.beat();
    expect(manager.isDraining).toBe(true);

    // The controller stopped the pod and removed its record; the process has not ended yet.
    await firestore.db.collection(COLLECTIONS.workers).doc(WORKER_ID).delete();
    await registration.beat();

    expect(manager.isDraining).toBe(true);
    expect((await firestore.db.collection(COLLECTIONS.workers).doc(WORKER_ID).get()).exists).toBe(false);
  });
});
