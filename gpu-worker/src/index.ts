import { AttemptManager } from './attempts/attempt-manager';
import { BacklogPuller } from './attempts/backlog-puller';
import { loadConfig, redacted } from './config';
import { createLogger } from './logger';
import { WorkerRegistration } from './registration';
import { buildServer } from './server';
import { createServices } from './services';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.LOG_LEVEL, { workerId: config.WORKER_ID });
  log.info({ config: redacted(config) }, 'Starting GPU worker');

  const services = await createServices(config, log);
  await services.socket.start();
  const manager = new AttemptManager(services);
  const server = buildServer(services, manager);
  const address = await server.listen({ host: config.HOST, port: config.PORT });
  const registration = new WorkerRegistration(services, manager, config.WORKER_PUBLIC_URL ?? address);
  await registration.start();
  const puller = new BacklogPuller(services, manager, () => registration.tiersReady);
  if (config.PULL_PENDING_ATTEMPTS) puller.start();
  log.info({ address, comfyui: config.COMFYUI_URL }, 'GPU worker ready');

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'Draining: no new attempts; finishing or handing back what runs');
    puller.stop();
    await registration.beat();
    await manager.drain(config.SHUTDOWN_GRACE_SECONDS * 1000);
    await registration.stop();
    await server.close();
    services.socket.close();
    log.info('GPU worker stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error: Error) => {
  createLogger('error', {}).fatal({ err: error.message }, 'GPU worker failed to start');
  process.exit(1);
});
