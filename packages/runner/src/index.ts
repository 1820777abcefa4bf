export * from './claim-lease';
export * from './follow-up';
export * from './reference-image';
export * from './run-log';
export * from './run-stopped';
export * from './run-under-lease';
