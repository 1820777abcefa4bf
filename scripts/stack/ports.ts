/** The local stack's ports; emulator ports must match firebase.json, which firebase-tools reads. */
export const DEFAULT_PORTS = {
  firestore: 8080,
  auth: 9099,
  functions: 5001,
  tasks: 9499,
  hub: 4400,
  hosting: 5000,
  store: 9199,
  worker: 8000,
  comfyui: 8188,
  veo: 8290,
  replicate: 8291,
  runpod: 8292,
  /** The RunPod simulator's pods: slot i's worker listens on podWorker + i, its ComfyUI simulator on podComfyui + i. */
  podWorker: 8100,
  podComfyui: 8200,
  logging: 4500,
} as const;

export type Ports = { -readonly [K in keyof typeof DEFAULT_PORTS]: number };

/** Every default port moved by `offset`, so that a second stack (the tests') runs beside `npm start`. */
export function offsetPorts(offset: number): Ports {
  return Object.fromEntries(Object.entries(DEFAULT_PORTS).map(([name, port]) => [name, port + offset])) as Ports;
}

export const PROJECT_ID = 'demo-vidgen';
export const REGION = 'us-central1';
export const HOST = '127.0.0.1';
