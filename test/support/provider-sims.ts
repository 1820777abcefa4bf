import { stackState } from './stack-state';

type Provider = 'veo' | 'replicate';

function baseUrl(provider: Provider): string {
  const { ports } = stackState();
  return `http://127.0.0.1:${provider === 'veo' ? ports.veo : ports.replicate}`;
}

/** Scripts the next outcome of a provider simulator for prompts containing `promptContains`. */
export async function scriptProvider(provider: Provider, script: { promptContains?: string; outcome: string; times?: number; latencyMs?: number; answerDelayMs?: number }): Promise<void> {
  const response = await fetch(`${baseUrl(provider)}/sim/script`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(script) });
  if (!response.ok) throw new Error(`scripting ${provider}: ${response.status} ${await response.text()}`);
}

export async function clearProviderScripts(): Promise<void> {
  for (const provider of ['veo', 'replicate'] as const) await fetch(`${baseUrl(provider)}/sim/script`, { method: 'DELETE' });
}

export async function providerState(provider: Provider): Promise<Record<string, unknown>> {
  return (await (await fetch(`${baseUrl(provider)}/sim/state`)).json()) as Record<string, unknown>;
}
