export * from './budget-ledger';
export * from './job-repository';
export * from './lease-keeper';
export * from './lease-watch';
export * from './optimistic-write';
export * from './progress-reporter';
export * from './task-queue';
