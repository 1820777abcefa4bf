export * from './leased-run';
export * from './run-stopped';
