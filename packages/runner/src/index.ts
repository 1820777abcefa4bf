export * from './leased-run';
export * from './reference-upload';
export * from './run-stopped';
