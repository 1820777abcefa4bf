import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { DEFAULT_RETENTION_DAYS } from '@vidgen/contract';
import { chooseFirestoreEmulator, gcloudFirestoreProcess } from './firestore-emulator';
import { httpReady, ManagedProcess } from './managed-process';
import { gpuPair } from './gpu-pair';
import { LocalPods, type LocalPod } from './fleet-pods';
import { createRunpodSimulator } from '../../provider-sims/src/simulators';
import { pino } from 'pino';
import { exitSummary, exitToConsole, type ComponentExit } from './component-exit';
import { checkPortsFree, stackPortNeeds } from './port-check';
import { Supervisor } from './supervisor';
import { DEFAULT_PORTS, HOST, PROJECT_ID, REGION, type Ports } from './ports';
import { startWatchdogTicker } from './watchdog-ticker';
import { SIMULATED_VERSIONS } from './provider-versions';
import { stackNode } from './node-runtime';
import { DEMO_LIMITS_NOTE, seedDemoLimits } from './demo-limits';

export const ROOT = resolve(__dirname, '..', '..');

export interface StackTiming {
  /** Worker lease length; the watchdog hands an attempt back this long after its worker dies. */
  leaseSeconds: number;
  heartbeatSeconds: number;
  watchdogTickSeconds: number;
  /** How long an attempt waits for a worker with room before failing over. */
  workerWaitSeconds: number;
  historyPollSeconds: number;
  stallTimeoutSeconds: number;
  /** Simulated sampler step time on the ComfyUI simulator. */
  simStepMs: number;
  /** The functions' PROVIDER_LEASE_SECONDS (default 60, production's): how long after a killed runAttempt its Veo or Replicate attempt is taken up again. */
  providerLeaseSeconds?: number;
}

export interface StackOptions {
  /** A `demo-` project id: the emulators need no credentials for one, and nothing can reach production. */
  projectId: string;
  /** The functions' BACKEND_POLICY (default prefer-comfyui). */
  backendPolicy?: 'prefer-comfyui' | 'comfyui-only' | 'replicate-only';
  workers: number;
  ports: Ports;
  timing: StackTiming;
  stateDir: string;
  maxActiveJobsPerUser: number;
  /** Moves each worker's wall clock by this much (ms, by worker), to prove nothing needs the machines' clocks to agree. */
  workerClockSkewMs?: number[];
  /** The functions' LIMITS_CACHE_SECONDS (default 5, production's): how soon an edit of config/limits takes effect. */
  limitsCacheSeconds?: number;
  /** The RunPod simulator's pod timing and GPU types (default {@link DEMO_RUNPOD}). */
  runpod?: StackRunpod;
}

/** How the local stack's RunPod simulator behaves; its pods run a GPU worker and a ComfyUI simulator each. */
export interface StackRunpod {
  provisionMs: number;
  /** Time STARTING (image pull, models) before the pod's worker and ComfyUI simulator are started. */
  bootMs: number;
  /** The pods' ComfyUI simulators' time per sampler step (default the stack's `timing.simStepMs`). */
  simStepMs?: number;
}

/** The demo's simulated RunPod: a pod provisions for a second and boots for five. */
export const DEMO_RUNPOD: StackRunpod = { provisionMs: 1000, bootMs: 5000 };

export const DEMO_OPTIONS: StackOptions = {
  projectId: PROJECT_ID,
  workers: 1,
  ports: { ...DEFAULT_PORTS },
  timing: { leaseSeconds: 30, heartbeatSeconds: 5, watchdogTickSeconds: 10, workerWaitSeconds: 120, historyPollSeconds: 5, stallTimeoutSeconds: 120, simStepMs: 250 },
  stateDir: join(ROOT, '.stack'),
  maxActiveJobsPerUser: 5,
};

export interface StackState {
  projectId: string;
  region: string;
  ports: Ports;
  storeDir: string;
  /** The local store server's process (the stand-in for Cloud Storage and its emulator), for tests that signal it. */
  storePid: number | undefined;
  timing: StackTiming;
  /** How long the functions keep config/limits before reading it again (LIMITS_CACHE_SECONDS). */
  limitsCacheSeconds: number;
  workers: Array<{ workerId: string; url: string; pid: number | undefined; comfyuiUrl: string; comfyuiPid: number | undefined; clockSkewMs: number }>;
  /** The RunPod simulator (the functions' RUNPOD_API_BASE_URL; key LOCAL_SECRETS.RUNPOD_API_KEY) and the pods whose container is up. */
  runpod: { url: string; pods: LocalPod[] };
  /** Set when a component the stack cannot run without exited after start-up: which, and how. */
  down?: string;
}

export interface Stack {
  state: StackState;
  stop(): Promise<void>;
}

/** Environment every process of the stack shares, so each SDK finds the emulators. */
export function emulatorEnv(ports: Ports, projectId: string): Record<string, string> {
  return {
    GCLOUD_PROJECT: projectId,
    GOOGLE_CLOUD_PROJECT: projectId,
    FIRESTORE_EMULATOR_HOST: `${HOST}:${ports.firestore}`,
    FIREBASE_AUTH_EMULATOR_HOST: `${HOST}:${ports.auth}`,
    CLOUD_TASKS_EMULATOR_HOST: `${HOST}:${ports.tasks}`,
    // The local store server answers the Cloud Storage JSON API as the Storage emulator would, so the
    // Admin SDK (workers, functions, tests) writes through the production adapter, CloudObjectStore.
    // firebase-tools passes its own environment on to the functions it runs.
    FIREBASE_STORAGE_EMULATOR_HOST: `${HOST}:${ports.store}`,
    // Nothing local is a GCE metadata server; without this, auth libraries probe for one off-machine.
    METADATA_SERVER_DETECTION: 'none',
  };
}

/** Environment that preloads a wall-clock skew into a Node process (none for 0). */
function clockSkewEnv(skewMs: number): Record<string, string> {
  if (skewMs === 0) return {};
  return { NODE_OPTIONS: `--require "${join(ROOT, 'scripts', 'stack', 'skewed-clock.cjs')}"`, VIDGEN_CLOCK_SKEW_MS: String(skewMs) };
}

/**
 * Writes the functions' settings for this stack's project to `functions/.env.<projectId>` (read by
 * the emulator for that project only), and the local secrets to `.secret.local`, which every local
 * stack shares: the same fixed worker secret and the simulators' keys.
 */
function writeFunctionsEnv(options: StackOptions): void {
  const { ports } = options;
  const override = join(ROOT, 'functions', '.env.local');
  if (existsSync(override)) {
    throw new Error(`${override} exists and would override this stack's function settings (firebase-tools writes it when it had to ask for a parameter); delete it`);
  }
  // Every parameter is given: for one without a value the emulator would ask, and save the answer to
  // functions/.env.local, which then overrides the settings of every later stack.
  const env: Record<string, string | number> = {
    WORKER_WAIT_SECONDS: options.timing.workerWaitSeconds,
    WORKER_REQUEST_TIMEOUT_SECONDS: 10,
    STORAGE_BUCKET: `${options.projectId}.appspot.com`,
    VEO_MODEL: 'veo-3.1-generate-preview',
    VEO_TIMEOUT_SECONDS: 20,
    // Room for two segments an invocation, so long clips are handed on between invocations here too.
    VEO_INVOCATION_SECONDS: 25,
    VEO_COST_PER_SECOND: '0.40',
    REPLICATE_TIMEOUT_SECONDS: 120,
    REPLICATE_ANIMATEDIFF_COST_PER_SECOND: '0.000975',
    REPLICATE_SVD_COST_PER_SECOND: '0.0014',
    MAX_ACTIVE_JOBS_PER_USER: options.maxActiveJobsPerUser,
    // As in production: the stack's web clients (demo, CLI, tests) send emulator App Check tokens.
    ENFORCE_APP_CHECK: 'true',
    BACKEND_POLICY: options.backendPolicy ?? 'prefer-comfyui',
    GEMINI_API_BASE_URL: `http://${HOST}:${ports.veo}`,
    VEO_POLL_SECONDS: 1,
    REPLICATE_BASE_URL: `http://${HOST}:${ports.replicate}/v1`,
    REPLICATE_ANIMATEDIFF_VERSION: SIMULATED_VERSIONS.animatediff,
    REPLICATE_SVD_VERSION: SIMULATED_VERSIONS.svd,
    REPLICATE_POLL_SECONDS: 1,
    PROVIDER_RETRY_FIRST_DELAY_MS: 200,
    PROVIDER_LEASE_SECONDS: options.timing.providerLeaseSeconds ?? 60,
    JOB_RETENTION_DAYS: DEFAULT_RETENTION_DAYS.job,
    VIDEO_RETENTION_DAYS: DEFAULT_RETENTION_DAYS.video,
    RUNPOD_API_BASE_URL: `http://${HOST}:${ports.runpod}`,
    GPU_COST_PER_HOUR: '0.44',
    GPU_ATTEMPT_MAX_SECONDS: 1800,
    LIMITS_CACHE_SECONDS: options.limitsCacheSeconds ?? 5,
  };
  const lines = (values: Record<string, string | number>) => Object.entries(values).map(([k, v]) => `${k}=${v}\n`).join('');
  writeFileSync(join(ROOT, 'functions', `.env.${options.projectId}`), lines(env));
  writeFileSync(join(ROOT, 'functions', '.secret.local'), lines(LOCAL_SECRETS));
}

/**
 * Secrets of every local stack. Not secret at all: the emulators run on 127.0.0.1 only, and the
 * provider keys are what the simulators accept.
 */
export const LOCAL_SECRETS = {
  WORKER_SHARED_SECRET: 'local-stack-worker-secret-not-for-production',
  GEMINI_API_KEY: 'simulated-gemini-key',
  REPLICATE_API_TOKEN: 'simulated-replicate-token',
  RUNPOD_API_KEY: 'simulated-runpod-key',
};

/** The workers' METRICS_TOKEN in every local stack: a bearer token for `/health/detailed` and `/metrics`. */
export const LOCAL_METRICS_TOKEN = 'local-stack-metrics-token-not-for-production';

function usesDefaultPorts(options: StackOptions): boolean {
  return JSON.stringify(options.ports) === JSON.stringify(DEFAULT_PORTS);
}

/** The file the demo page fetches to learn where this stack listens. */
export const DEMO_CONFIG_FILE = 'stack-config.json';

/**
 * The folder the Hosting emulator serves the demo page from, with this stack's
 * {@link DEMO_CONFIG_FILE} in it. `npm start` serves demo/public itself; a stack on other ports (the
 * tests') serves a copy in its state folder, so that two stacks never share the config file.
 */
function prepareDemoPage(options: StackOptions): string {
  const source = join(ROOT, 'demo', 'public');
  let publicDir = source;
  if (!usesDefaultPorts(options)) {
    publicDir = join(options.stateDir, 'demo-public');
    rmSync(publicDir, { recursive: true, force: true });
    cpSync(source, publicDir, { recursive: true, filter: (path) => basename(path) !== DEMO_CONFIG_FILE });
  }
  const { ports, projectId } = options;
  const config = {
    projectId,
    // The Auth emulator accepts any API key; the web SDK only needs one to be set.
    apiKey: 'demo-api-key',
    region: REGION,
    // Where functions and workers store videos when STORAGE_BUCKET is unset: the project's default bucket.
    storageBucket: `${projectId}.appspot.com`,
    emulators: { host: HOST, auth: ports.auth, firestore: ports.firestore, functions: ports.functions, storage: ports.store },
    // The local stack always runs the ComfyUI simulator and the Veo and Replicate simulators.
    simulated: { gpu: true, veo: true, replicate: true },
    // The functions emulator decodes App Check tokens without verifying them: the page mints its own.
    appCheck: { kind: 'emulator' },
  };
  writeFileSync(join(publicDir, DEMO_CONFIG_FILE), `${JSON.stringify(config, null, 2)}\n`);
  return publicDir;
}

/**
 * firebase-tools reads emulator ports from its config file: a stack on other ports gets a copy of
 * firebase.json beside it (so relative paths hold) with its ports and its own demo page folder.
 */
function firebaseConfig(options: StackOptions, demoPublicDir: string): string | null {
  if (usesDefaultPorts(options)) return null;
  const config = JSON.parse(readFileSync(join(ROOT, 'firebase.json'), 'utf8')) as { emulators: Record<string, { host?: string; port?: number }>; hosting: { public: string } };
  for (const name of ['auth', 'functions', 'tasks', 'hosting', 'hub', 'logging'] as const) {
    config.emulators[name] = { host: HOST, port: options.ports[name] };
  }
  config.emulators.firestore = { host: HOST, port: options.ports.firestore };
  config.hosting.public = relative(ROOT, demoPublicDir);
  const file = join(ROOT, `firebase.${options.projectId}.local.json`);
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

function firebaseReady(logFile: string): () => Promise<boolean> {
  return async () => readFileSync(logFile, 'utf8').includes('All emulators ready');
}

/**
 * Starts the whole local stack and resolves once every part serves: Firestore emulator, firebase-tools
 * emulators (auth, functions, tasks, and hosting for the demo page), a local object store, and per worker a ComfyUI simulator and a
 * GPU worker. Everything listens on 127.0.0.1.
 *
 * Before anything starts, every port of the stack must be free (else {@link PortsInUseError} names
 * each, its component and its holder). A component that dies during start-up fails it; one that
 * dies after is handed to `onFailure` at once, `restarting` (workers, ComfyUI simulators) or `fatal`
 * (recorded as `down` in stack.json; the caller stops the stack).
 */
export async function startStack(options: StackOptions, onStep: (message: string) => void = () => undefined, onFailure: (exit: ComponentExit) => void = exitToConsole): Promise<Stack> {
  const { ports, timing, stateDir } = options;
  await checkPortsFree(stackPortNeeds(ports, options.workers), HOST);
  const logDir = join(stateDir, 'logs');
  const storeDir = join(stateDir, 'storage');
  mkdirSync(logDir, { recursive: true });
  mkdirSync(storeDir, { recursive: true });
  const secret = LOCAL_SECRETS.WORKER_SHARED_SECRET;
  writeFunctionsEnv(options);
  const env = emulatorEnv(ports, options.projectId);
  // The functions emulator runs functions on the Node that runs firebase-tools; workers and simulators on it too.
  const node = stackNode();
  Object.assign(process.env, env);
  let report = onFailure;
  const supervisor = new Supervisor((exit) => report(exit));
  let stopRunpod = async () => undefined;
  const stopAll = async () => {
    try {
      await stopRunpod();
    } finally {
      await supervisor.stopAll();
    }
  };

  try {
    const firestore = chooseFirestoreEmulator();
    if (firestore.kind === 'gcloud') {
      onStep('Starting the Firestore emulator (Google Cloud CLI)');
      const proc = gcloudFirestoreProcess({ script: firestore.script, host: HOST, port: ports.firestore, projectId: options.projectId, rules: join(ROOT, 'firestore.rules'), logFile: join(logDir, 'firestore.log') });
      await supervisor.start(proc);
    }

    onStep('Starting the Firebase emulators (auth, functions, tasks, hosting)');
    const firebaseLog = join(logDir, 'firebase.log');
    writeFileSync(firebaseLog, '');
    const config = firebaseConfig(options, prepareDemoPage(options));
    const only = ['auth', 'functions', 'tasks', 'hosting', ...(firestore.kind === 'firebase' ? ['firestore'] : [])].join(',');
    const firebase = new ManagedProcess({
      name: 'firebase-emulators',
      command: node,
      args: [require.resolve('firebase-tools/lib/bin/firebase.js'), 'emulators:start', '--only', only, '--project', options.projectId, ...(config ? ['--config', config] : [])],
      cwd: ROOT,
      // The functions emulator starts a process per concurrent call and gives each 30 s to load (10 s
      // to load the definitions at start-up); on a busy shared machine a burst of calls overruns
      // that, and the calls fail before reaching our code. Two minutes instead.
      env: { ...env, FUNCTIONS_DISCOVERY_TIMEOUT: '120' },
      logFile: firebaseLog,
      ready: firebaseReady(firebaseLog),
      readyTimeoutMs: 120_000,
      ports: [ports.auth, ports.functions, ports.tasks, ports.hosting, ports.hub, ...(firestore.kind === 'firebase' ? [ports.firestore] : [])],
    });
    await supervisor.start(firebase);
    await seedDemoLimits(options.projectId);
    onStep(DEMO_LIMITS_NOTE);

    onStep('Starting the local object store');
    const store = new ManagedProcess({
      name: 'store',
      command: node,
      args: [join(ROOT, 'storage-sim', 'dist', 'index.js')],
      env: { LOCAL_STORE_DIR: storeDir, HOST, PORT: String(ports.store) },
      logFile: join(logDir, 'store.log'),
      ready: httpReady(`http://${HOST}:${ports.store}/health`, { what: 'the local object store', accepts: (body) => JSON.parse(body).status === 'ok' }),
      ports: [ports.store],
    });
    await supervisor.start(store);

    {
      onStep('Starting the Veo (Gemini API) and Replicate simulators');
      for (const [kind, port, flag, key] of [['veo', ports.veo, '--api-key', LOCAL_SECRETS.GEMINI_API_KEY], ['replicate', ports.replicate, '--token', LOCAL_SECRETS.REPLICATE_API_TOKEN]] as const) {
        const proc = new ManagedProcess({
          name: `${kind}-sim`,
          command: node,
          // Veo's videos keep their real size (1280x720) and realistic operation times, scaled down;
          // Replicate's are shrunk for speed.
          args: [join(ROOT, 'provider-sims', 'dist', 'index.js'), kind, '--host', HOST, '--port', String(port), flag, key, ...(kind === 'veo' ? ['--time-scale', '0.03'] : ['--scale', '0.25'])],
          logFile: join(logDir, `${kind}-sim.log`),
          ready: httpReady(`http://${HOST}:${port}/sim/state`, { what: `the ${kind} simulator`, accepts: (body) => JSON.parse(body).simulator === `${kind}-sim` }),
          ports: [port],
        });
        await supervisor.start(proc);
      }
    }

    const workers: StackState['workers'] = [];
    const runpodState: StackState['runpod'] = { url: `http://${HOST}:${ports.runpod}`, pods: [] };
    const state: StackState = { projectId: options.projectId, region: REGION, ports, storeDir, storePid: store.pid, timing, limitsCacheSeconds: options.limitsCacheSeconds ?? 5, workers, runpod: runpodState };
    const saveState = () => writeFileSync(join(stateDir, 'stack.json'), JSON.stringify(state, null, 2));
    const workerEnv = (skewMs: number): Record<string, string> => ({
      ...env,
      WORKER_SHARED_SECRET: secret,
      METRICS_TOKEN: LOCAL_METRICS_TOKEN,
      LEASE_SECONDS: String(timing.leaseSeconds),
      HEARTBEAT_SECONDS: String(timing.heartbeatSeconds),
      HISTORY_POLL_SECONDS: String(timing.historyPollSeconds),
      STALL_TIMEOUT_SECONDS: String(timing.stallTimeoutSeconds),
      STORAGE_BUCKET: `${options.projectId}.appspot.com`,
      ...clockSkewEnv(skewMs),
    });
    for (let i = 0; i < options.workers; i += 1) {
      const workerId = `local-worker-${i + 1}`;
      const skewMs = options.workerClockSkewMs?.[i] ?? 0;
      onStep(`Starting ComfyUI simulator ${i + 1} and GPU worker ${i + 1}`);
      const pair = gpuPair({
        node,
        root: ROOT,
        workerId,
        workerPort: ports.worker + i,
        comfyName: `comfyui-sim-${i + 1}`,
        comfyPort: ports.comfyui + i,
        comfyDataDir: join(stateDir, `comfyui-${i + 1}`),
        workDir: join(stateDir, `work-${i + 1}`),
        logDir,
        simStepMs: timing.simStepMs,
        workerEnv: workerEnv(skewMs),
      });
      const { comfy, worker } = pair;
      await supervisor.start(comfy);
      await supervisor.start(worker);
      const entry = { workerId, url: pair.workerUrl, pid: worker.pid, comfyuiUrl: pair.comfyuiUrl, comfyuiPid: comfy.pid, clockSkewMs: skewMs };
      worker.onRestart = () => {
        entry.pid = worker.pid;
        saveState();
      };
      comfy.onRestart = () => {
        entry.comfyuiPid = comfy.pid;
        saveState();
      };
      workers.push(entry);
    }

    onStep('Starting the RunPod simulator (its pods run a GPU worker and a ComfyUI simulator each)');
    const { simStepMs: podStepMs, ...runpodTiming } = options.runpod ?? DEMO_RUNPOD;
    const pods = new LocalPods({
      node,
      root: ROOT,
      stateDir,
      logDir,
      workerPort: ports.podWorker,
      comfyPort: ports.podComfyui,
      simStepMs: podStepMs ?? timing.simStepMs,
      workerEnv: workerEnv(0),
      onChange: () => {
        runpodState.pods = pods.list();
        saveState();
      },
      onExit: (exit) => report(exit),
    });
    const runpod = await createRunpodSimulator({
      host: HOST,
      port: ports.runpod,
      apiKey: LOCAL_SECRETS.RUNPOD_API_KEY,
      ...runpodTiming,
      logger: pino({ name: 'runpod-sim', level: 'info' }, pino.destination({ dest: join(logDir, 'runpod-sim.log'), sync: false })),
      hooks: pods,
    });
    stopRunpod = async () => {
      try {
        await runpod.close();
      } finally {
        await pods.stopAll();
      }
    };
    saveState();
    report = (exit) => {
      if (exit.outcome === 'fatal') {
        state.down = exitSummary(exit);
        saveState();
      }
      onFailure(exit);
    };
    supervisor.markUp();
    const ticker = startWatchdogTicker(`http://${HOST}:${ports.functions}/${options.projectId}/${REGION}/watchdogTick`, timing.watchdogTickSeconds * 1000);
    return {
      state,
      stop: async () => {
        ticker.stop();
        await stopAll();
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
