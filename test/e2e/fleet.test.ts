import { FieldValue } from 'firebase-admin/firestore';
import { FLEET_POD_PREFIX, FLEET_SETTINGS_DOCUMENT, FLEET_STATE_DOCUMENT, type FleetSettings } from '@vidgen/contract';
import { RunpodClient, type Pod } from '@vidgen/runpod';
import { LOCAL_SECRETS } from '../../scripts/stack/stack';
import { adminDb, jobWhen } from '../support/admin';
import { stackState } from '../support/stack-state';
import { signedInUser, type WebUser } from '../support/web-client';

jest.setTimeout(180_000);

const RTX_4090 = 'NVIDIA GeForce RTX 4090';
const L40S = 'NVIDIA L40S';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Settings every test starts from: a pod per attempt, two at most, a short window, pods terminated once drained. */
const FLEET: FleetSettings = {
  enabled: true,
  minPods: 0,
  maxPods: 2,
  jobsPerPod: 1,
  scaleUpStep: 2,
  scaleDownStabilisationSeconds: 6,
  gpuTypeIds: [RTX_4090, L40S],
  // One attempt at a time, as jobsPerPod says.
  template: { image: 'ghcr.io/vidgen/gpu-worker:local', env: { MAX_CONCURRENT_JOBS: '1' } },
  stopPolicy: 'terminate',
  bootTimeoutSeconds: 60,
};

function runpod(): RunpodClient {
  return new RunpodClient({ apiKey: LOCAL_SECRETS.RUNPOD_API_KEY, baseUrl: stackState().runpod.url });
}

async function fleetPods(): Promise<Pod[]> {
  return (await runpod().listPods()).filter((pod) => pod.name.startsWith(FLEET_POD_PREFIX));
}

/** Polls until `check` returns something, or fails with what `describe` says of the last look. */
async function eventually<T>(what: string, check: () => Promise<T | null | undefined | false>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s; fleet/state says ${JSON.stringify((await adminDb().doc(FLEET_STATE_DOCUMENT).get()).get('lastDecision'))}`);
    await sleep(500);
  }
}

const listeners: Array<() => void> = [];

/** Every decision the controller writes to fleet/state from now on, as an operator watching it would see them. */
function watchDecisions(): { reasons: string[]; actions: Array<{ action: string; ok: boolean; detail?: string }>; stop(): void } {
  const seen = { reasons: [] as string[], actions: [] as Array<{ action: string; ok: boolean; detail?: string }> };
  const stop = adminDb()
    .doc(FLEET_STATE_DOCUMENT)
    .onSnapshot((snapshot) => {
      const decision = snapshot.get('lastDecision') as { reason: string; actions: Array<{ action: string; ok: boolean; detail?: string }> } | undefined;
      if (!decision) return;
      seen.reasons.push(decision.reason);
      seen.actions.push(...decision.actions);
    });
  listeners.push(stop);
  return { ...seen, stop };
}

async function configure(settings: FleetSettings): Promise<void> {
  await adminDb().doc(FLEET_SETTINGS_DOCUMENT).set(settings);
}

async function podsCreated(): Promise<number> {
  const state = (await (await fetch(`${stackState().runpod.url}/sim/state`)).json()) as { counters: { podsCreated: number } };
  return state.counters.podsCreated;
}

async function simScript(body: object): Promise<void> {
  const response = await fetch(`${stackState().runpod.url}/sim/script`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(response.status).toBeLessThan(300);
}

/**
 * The fleet controller as the watchdog runs it (the stack's tick every 2 s) against the RunPod
 * simulator, whose pods are a GPU worker and a ComfyUI simulator each. The stack's own two workers
 * are drained through the same mark the controller uses, so that only fleet pods take work here.
 */
describe('the GPU fleet on RunPod', () => {
  const staticWorkers = () => stackState().workers.map((w) => w.workerId);
  const users: WebUser[] = [];

  beforeAll(async () => {
    const db = adminDb();
    await Promise.all(staticWorkers().map((id) => db.doc(`workers/${id}`).update({ drainRequestedAt: FieldValue.serverTimestamp() })));
    await eventually('the stack workers acknowledge the drain', async () => {
      const states = await Promise.all(staticWorkers().map(async (id) => (await db.doc(`workers/${id}`).get()).get('state')));
      return states.every((state) => state === 'draining');
    });
  });

  afterEach(async () => {
    for (const stop of listeners.splice(0)) stop();
    await configure({ enabled: false });
    // A tick that read the settings before the change may still create pods: wait for one that saw it.
    await eventually('a tick sees the fleet off', async () => {
      const state = (await adminDb().doc(FLEET_STATE_DOCUMENT).get()).data();
      return state?.enabled === false && state.tickLeaseUntil === undefined;
    }, 30_000);
    await fetch(`${stackState().runpod.url}/sim/script`, { method: 'DELETE' }).catch(() => undefined);
    for (const pod of await fleetPods()) await runpod().terminatePod(pod.id);
    await eventually('RunPod lists no fleet pod and every pod process stopped', async () => (await fleetPods()).length === 0 && stackState().runpod.pods.length === 0, 30_000);
    const records = await adminDb().collection('workers').get();
    await Promise.all(records.docs.filter((doc) => doc.id.startsWith(FLEET_POD_PREFIX)).map((doc) => doc.ref.delete()));
    await adminDb().doc(FLEET_STATE_DOCUMENT).delete();
  });

  afterAll(async () => {
    const db = adminDb();
    await Promise.all(staticWorkers().map((id) => db.doc(`workers/${id}`).update({ drainRequestedAt: FieldValue.delete() })));
    await Promise.all(users.map((user) => user.close()));
  });

  async function newUser(): Promise<WebUser> {
    const user = await signedInUser();
    users.push(user);
    return user;
  }

  it('starts pods for a burst at zero pods, runs the jobs on them, then drains and terminates them after the window', async () => {
    expect(await fleetPods()).toEqual([]);
    const createdBefore = await podsCreated();
    const decisions = watchDecisions();
    await configure(FLEET);
    const burst = await Promise.all([1, 2, 3].map(async (i) => (await newUser()).createVideoJob({ prompt: `a fleet burst ${i}`, model: 'animatediff' })));
    // Under prefer-comfyui an attempt of the burst that waits longer than WORKER_WAIT_SECONDS for a
    // pod to boot runs on Replicate instead (the policy's overflow): once a pod serves, a new job runs there.
    await eventually('a fleet worker registers', async () => (await adminDb().collection('workers').get()).docs.some((doc) => doc.id.startsWith(FLEET_POD_PREFIX) && doc.get('state') === 'ready'));
    const late = await (await newUser()).createVideoJob({ prompt: 'a job once the pods serve', model: 'animatediff' });

    const jobs = await Promise.all([...burst, late].map(({ jobId }) => jobWhen(jobId, (job) => job.state === 'succeeded' || job.state === 'failed', 120_000)));
    const ran = jobs.map((job) => (job.attempts as Array<{ backend: string; workerId: string | null; outcome: string }>).find((attempt) => attempt.outcome === 'succeeded'));
    expect(jobs.map((job) => job.state)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
    for (const attempt of ran) expect(['comfyui', 'replicate']).toContain(attempt?.backend);
    for (const attempt of ran.filter((a) => a?.backend === 'comfyui')) expect(attempt?.workerId).toMatch(new RegExp(`^${FLEET_POD_PREFIX}`));
    expect(ran[3]).toMatchObject({ backend: 'comfyui', workerId: expect.stringMatching(new RegExp(`^${FLEET_POD_PREFIX}`)) });
    // Never more than maxPods made, by RunPod's own count.
    expect((await podsCreated()) - createdBefore).toBe(FLEET.maxPods);

    await eventually('the fleet is back to zero pods', async () => (await fleetPods()).length === 0);
    // The tick writes fleet/state after its RunPod calls: wait for the decision that terminated them.
    await eventually('fleet/state records both terminates', async () => decisions.actions.filter((a) => a.action.startsWith('terminate ')).length >= (FLEET.maxPods ?? 0));
    decisions.stop();
    expect(decisions.reasons.some((reason) => reason.includes('scaling up'))).toBe(true);
    expect(decisions.reasons.some((reason) => reason.includes('scaling down'))).toBe(true);
    expect(decisions.actions.every((a) => a.ok)).toBe(true);
    // Both pods registered, so each was terminated only after its drain: never with an attempt on it.
    const terminated = decisions.actions.filter((a) => a.action.startsWith('terminate ')).map((a) => a.action.slice('terminate '.length));
    expect(new Set(terminated).size).toBe(FLEET.maxPods);
    for (const podId of terminated) {
      const order = decisions.actions.map((a) => a.action);
      expect(order.indexOf(`drain ${podId}`)).toBeGreaterThanOrEqual(0);
      expect(order.indexOf(`drain ${podId}`)).toBeLessThan(order.indexOf(`terminate ${podId}`));
    }
    // A tick's counts are those it decided on: the tick after the terminates finds no pod.
    await eventually('fleet/state counts no pod', async () => {
      const state = (await adminDb().doc(FLEET_STATE_DOCUMENT).get()).data()!;
      return state.enabled === true && state.current === 0 && state.pendingBoots === 0;
    }, 30_000);
    // The terminated pods' worker and ComfyUI processes stop too (the simulator's hook, just after RunPod's answer).
    await eventually('the pods\' processes stop', async () => stackState().runpod.pods.length === 0, 30_000);
  });

  it('falls back to the next GPU type when RunPod has no capacity for the first, and costs the pod\'s attempts at its rate', async () => {
    await simScript({ outcome: 'no_capacity', gpuTypeId: RTX_4090, operation: 'createPod', times: 5 });
    const decisions = watchDecisions();
    // A floor of one pod: the pod is made without a job waiting, so the job below finds it serving.
    await configure({ ...FLEET, minPods: 1, maxPods: 1 });
    await eventually('the fleet worker registers', async () => (await adminDb().collection('workers').get()).docs.some((doc) => doc.id.startsWith(FLEET_POD_PREFIX) && doc.get('state') === 'ready'));
    const pods = await fleetPods();
    expect(pods.map((pod) => pod.gpu?.id)).toEqual([L40S]);
    expect(pods[0]!.cost).toBe(0.86);

    const { jobId } = await (await newUser()).createVideoJob({ prompt: 'a job on the L40S pod', model: 'animatediff' });
    // The claim records the rate the attempt is costed at: the pod's (the simulator's L40S price), not the worker's GPU_COST_PER_HOUR (0.44).
    const running = await jobWhen(jobId, (j) => j.attempt?.state === 'running' || ['succeeded', 'failed'].includes(j.state as string), 120_000);
    expect(running.attempt).toMatchObject({ backend: 'comfyui', workerId: pods[0]!.name, usdPerHour: 0.86 });
    const job = await jobWhen(jobId, (j) => j.state === 'succeeded' || j.state === 'failed', 120_000);
    expect(job.state).toBe('succeeded');
    decisions.stop();
    const create = decisions.actions.find((a) => a.action.startsWith('create '));
    expect(create).toMatchObject({ ok: true, detail: expect.stringContaining(`on ${L40S} (refused: ${RTX_4090})`) });
  });

  it('replaces a pod whose worker never registers', async () => {
    const decisions = watchDecisions();
    // A template whose worker cannot start (its secret is too short): RunPod still says RUNNING.
    await configure({ ...FLEET, minPods: 1, maxPods: 1, bootTimeoutSeconds: 5, template: { image: 'ghcr.io/vidgen/gpu-worker:broken', env: { WORKER_SHARED_SECRET: 'too-short' } } });
    const [broken] = await eventually('a pod is created', async () => {
      const pods = await fleetPods();
      return pods.length === 1 && pods;
    });
    await eventually('the pod without a worker is replaced', async () => decisions.actions.some((a) => a.action === `replace ${broken!.id}` && a.ok));
    expect(decisions.actions.find((a) => a.action === `replace ${broken!.id}`)?.detail).toContain('no worker registered within 5 s');

    // The operator fixes the template: the next replacement registers and serves (given time to boot on a busy machine).
    await configure({ ...FLEET, minPods: 1, maxPods: 1, bootTimeoutSeconds: 30 });
    const worker = await eventually('a fleet worker registers', async () => {
      const records = await adminDb().collection('workers').get();
      return records.docs.find((doc) => doc.id.startsWith(FLEET_POD_PREFIX) && doc.get('state') === 'ready');
    });
    const pods = await fleetPods();
    expect(pods.map((pod) => pod.name)).toEqual([worker.id]);
    expect(pods.map((pod) => pod.id)).not.toContain(broken!.id);
    decisions.stop();
  });

  it('finds a pod a crashed tick created but never recorded, and scales it down like any other', async () => {
    // What a tick that died between RunPod's create and its write of fleet/state leaves: a pod named
    // as ours that no fleet/state mentions.
    const orphan = await runpod().createPod({ name: `${FLEET_POD_PREFIX}orphan`, image: 'ghcr.io/vidgen/gpu-worker:local', gpu: { id: RTX_4090, count: 1 }, env: { WORKER_ID: `${FLEET_POD_PREFIX}orphan` }, ports: ['8000/http'] });
    const decisions = watchDecisions();
    await configure({ ...FLEET, scaleDownStabilisationSeconds: 4 });

    await eventually('fleet/state lists the orphan', async () => {
      const pods = ((await adminDb().doc(FLEET_STATE_DOCUMENT).get()).get('pods') ?? []) as Array<{ id: string }>;
      return pods.some((pod) => pod.id === orphan.id);
    });
    await eventually('the orphan is drained and terminated once idle for the window', async () => (await fleetPods()).length === 0);
    await eventually('fleet/state records its terminate', async () => decisions.actions.some((a) => a.action === `terminate ${orphan.id}`));
    decisions.stop();
    // Drained first if its worker had registered, stopped at once if it was still booting: either way terminated by the controller.
    expect(decisions.actions).toEqual(expect.arrayContaining([expect.objectContaining({ action: `terminate ${orphan.id}`, ok: true })]));
    // The controller deletes the record; the worker, stopped by the terminate, deletes it again last thing.
    await eventually('the orphan\'s worker record is gone', async () => !(await adminDb().doc(`workers/${FLEET_POD_PREFIX}orphan`).get()).exists, 30_000);
  });
});
