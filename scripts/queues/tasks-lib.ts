import type * as Tasks from '@google-cloud/tasks' with { 'resolution-mode': 'import' };

/*
 * @google-cloud/tasks ships CommonJS under its "require" export condition, but its typings sit in a
 * "type": "module" package, so TypeScript (module node16) refuses a static import of it from CommonJS
 * (TS1479, googleapis/google-cloud-node#5683). Take the types from the ESM typings and the value
 * through require, which loads the package's own CommonJS build.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const { CloudTasksClient } = require('@google-cloud/tasks') as typeof Tasks;
export type CloudTasksClient = Tasks.CloudTasksClient;

export type Queue = Tasks.protos.google.cloud.tasks.v2.IQueue;
export type Task = Tasks.protos.google.cloud.tasks.v2.ITask;
export type ListTasksRequest = Tasks.protos.google.cloud.tasks.v2.IListTasksRequest;
export type Duration = Tasks.protos.google.protobuf.IDuration;
export type Timestamp = Tasks.protos.google.protobuf.ITimestamp;
