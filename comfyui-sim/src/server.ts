import type { AddressInfo } from 'node:net';
import fastifyMultipart from '@fastify/multipart';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { Catalogue } from './catalogue/catalogue';
import { resolveModelFolders } from './catalogue/models';
import { Executor } from './execution/executor';
import { OutputCache } from './execution/output-cache';
import { PromptQueue } from './execution/queue';
import { FaultStore, FaultSpecSchema, type Fault, type FaultInput } from './faults/faults';
import { History } from './history';
import { configureHttp } from './http-setup';
import { SimulatorSettingsSchema, TimingPatchSchema, TimingSchema, type ComfySimulatorOptions, type Timing, type TimingPatch } from './options';
import { listInputImages, prepareDataDirs, type DataDirs } from './outputs/data-dirs';
import { resolveFfmpegPath } from '@vidgen/sim-kit';
import { VideoWriter } from './outputs/video-writer';
import type { RouteContext } from './routes/context';
import { comfyRoutes } from './routes';
import { SIMULATED_DEVICE_NAME } from './routes/info';
import { describeZodError } from './routes/json-body';
import { registerSimControlRoutes } from './routes/sim-control';
import { newCounters, type SimCore } from './sim-core';
import { simState, type SimState } from './sim-state';
import { ClientHub } from './ws/client-hub';

/** A running simulator. */
export interface ComfySimulator {
  /** Base URL, e.g. `http://127.0.0.1:8188`. */
  readonly url: string;
  readonly port: number;
  /** The input/, output/ and temp/ folders. */
  readonly dirs: DataDirs;
  /** Queue, running prompt, loaded models, faults and counters (what `GET /sim/state` returns). */
  state(): SimState;
  /** Arms a fault, as `POST /sim/faults` does. */
  addFault(fault: FaultInput): Fault;
  /** Disarms every fault (releasing a stuck prompt), as `DELETE /sim/faults` does. */
  clearFaults(): void;
  /** Changes the simulated durations, as `POST /sim/timing` does. */
  setTiming(patch: TimingPatch): Timing;
  /** Stops serving, abandons the running prompt and removes a data folder it created itself. */
  close(): Promise<void>;
}

const BODY_LIMIT = 100 * 1024 * 1024;

/**
 * Starts a ComfyUI simulator: ComfyUI's HTTP and WebSocket protocol over a node catalogue, with
 * simulated timing, injectable faults and real (synthetic) video output. It is a test double and
 * the local demo's stand-in GPU, not ComfyUI.
 */
export async function createComfySimulator(options: ComfySimulatorOptions = {}): Promise<ComfySimulator> {
  const { logger, onExit, ...rest } = options;
  const parsed = SimulatorSettingsSchema.safeParse(rest);
  if (!parsed.success) throw new Error(`invalid simulator options: ${describeZodError(parsed.error)}`);
  const settings = parsed.data;
  const log = (logger ?? pino({ name: 'comfyui-sim', level: settings.logLevel })).child({ component: 'comfyui-sim' });
  const { dirs, dispose } = await prepareDataDirs(settings.dataDir);
  const stop = new AbortController();
  const models = resolveModelFolders(settings.models, settings.absentModels);
  const hub = new ClientHub(log);
  const app: FastifyInstance = Fastify({ logger: false, bodyLimit: BODY_LIMIT, forceCloseConnections: true });
  let closing: Promise<void> | undefined;

  const core: SimCore = {
    dirs,
    catalogue: new Catalogue({ modelFiles: (folder) => [...(models[folder] ?? [])], inputImages: () => listInputImages(dirs), absentNodes: settings.absentNodes }),
    models,
    timing: TimingSchema.parse(settings.timing),
    loadedModels: new Map(),
    hub,
    queue: new PromptQueue(() => hub.broadcastStatus(core.queue.status())),
    history: new History(),
    faults: new FaultStore(),
    cache: new OutputCache(),
    writer: new VideoWriter(resolveFfmpegPath(settings.ffmpegPath), stop.signal),
    counters: newCounters(),
    log,
    signal: stop.signal,
    pendingFree: { unloadModels: false, freeMemory: false },
    die() {
      if (stop.signal.aborted) return;
      log.error('exit fault fired: the simulator dies as a crashed ComfyUI would');
      stop.abort();
      hub.terminateAll();
      app.server.closeAllConnections();
      closing = app.close().then(dispose);
      onExit?.(1);
    },
  };
  const executor = new Executor(core);
  const ctx: RouteContext = { core, executor };

  configureHttp(app, log);
  await app.register(fastifyMultipart, { limits: { fileSize: BODY_LIMIT } });
  await app.register(fastifyWebsocket);
  await app.register(async (scope) => comfyRoutes(scope, ctx));
  await app.register(async (scope) => comfyRoutes(scope, ctx), { prefix: '/api' });
  await app.register(async (scope) => registerSimControlRoutes(scope, ctx));
  app.get('/', async (_request, reply) => reply.type('text/plain; charset=utf-8').send(`${SIMULATED_DEVICE_NAME}: a ComfyUI protocol simulator, not ComfyUI\n`));

  await app.listen({ host: settings.host, port: settings.port });
  const address = app.server.address() as AddressInfo;
  const hostForUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${hostForUrl}:${address.port}`;
  executor.start();
  log.info({ url, dataDir: dirs.root, device: SIMULATED_DEVICE_NAME }, `ComfyUI simulator listening on ${url} (not ComfyUI, no GPU: simulated timing and synthetic video)`);

  return {
    url,
    port: address.port,
    dirs,
    state: () => simState(ctx),
    addFault: (fault) => core.faults.add(FaultSpecSchema.parse(fault)),
    clearFaults: () => core.faults.clear(),
    setTiming(patch) {
      core.timing = { ...core.timing, ...TimingPatchSchema.parse(patch) };
      return { ...core.timing };
    },
    close() {
      closing ??= (async () => {
        stop.abort();
        hub.terminateAll();
        await app.close();
        await executor.stopped();
        await dispose();
      })();
      return closing;
    },
  };
}
