import { chooseBackend, type BackendSituation } from '@vidgen/contract';

const situation = (overrides: Partial<BackendSituation> = {}): BackendSituation => ({
  policy: 'prefer-comfyui',
  workerWithRoom: true,
  replicateReady: true,
  geminiReady: true,
  ...overrides,
});

describe('chooseBackend', () => {
  it('runs Veo on the Gemini API, and reports it unavailable without a key', () => {
    expect(chooseBackend('veo', situation())).toEqual({ kind: 'run', backend: 'gemini' });
    expect(chooseBackend('veo', situation({ geminiReady: false }))).toEqual({ kind: 'unavailable', reason: expect.stringMatching(/No Gemini API key/) });
  });

  it('prefer-comfyui: our worker when one has room, else Replicate, else wait', () => {
    expect(chooseBackend('animatediff', situation())).toEqual({ kind: 'run', backend: 'comfyui' });
    expect(chooseBackend('svd', situation({ workerWithRoom: false }))).toEqual({ kind: 'run', backend: 'replicate' });
    expect(chooseBackend('svd', situation({ workerWithRoom: false, replicateReady: false }))).toEqual({ kind: 'wait' });
  });

  it('comfyui-only never uses Replicate', () => {
    expect(chooseBackend('animatediff', situation({ policy: 'comfyui-only', workerWithRoom: false }))).toEqual({ kind: 'wait' });
    expect(chooseBackend('animatediff', situation({ policy: 'comfyui-only' }))).toEqual({ kind: 'run', backend: 'comfyui' });
  });

  it('replicate-only never uses our workers, and is unavailable without Replicate', () => {
    expect(chooseBackend('animatediff', situation({ policy: 'replicate-only' }))).toEqual({ kind: 'run', backend: 'replicate' });
    expect(chooseBackend('animatediff', situation({ policy: 'replicate-only', replicateReady: false }))).toEqual({ kind: 'unavailable', reason: expect.stringMatching(/replicate-only/) });
  });
});
