import { stackState } from './stack-state';

/** The control API of the ComfyUI simulators the test stack runs (not part of ComfyUI's protocol). */
export async function simControl(path: string, body?: unknown, method = body === undefined ? 'GET' : 'POST'): Promise<unknown> {
  const results = await Promise.all(stackState().workers.map(async (worker) => {
    const response = await fetch(`${worker.comfyuiUrl}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${method} ${path} on ${worker.comfyuiUrl}: ${response.status} ${await response.text()}`);
    const text = await response.text();
    return text ? JSON.parse(text) : null;
  }));
  return results;
}

/** Sets the simulated step time on every simulator. */
export function setStepMs(stepMs: number): Promise<unknown> {
  return simControl('/sim/timing', { stepMs });
}
