import { parseRunpodApiKey } from '@vidgen/runpod';

describe('parseRunpodApiKey', () => {
  it('reads a key, trimmed', () => {
    expect(parseRunpodApiKey('  rpa_ABC123 \n')).toEqual({ state: 'on', apiKey: 'rpa_ABC123' });
  });

  it('reads none, in any case, as autoscaling off', () => {
    expect(parseRunpodApiKey('none')).toEqual({ state: 'off' });
    expect(parseRunpodApiKey(' NONE ')).toEqual({ state: 'off' });
  });

  it('reads an absent or blank value as unset, for the caller to judge', () => {
    expect(parseRunpodApiKey(undefined)).toEqual({ state: 'unset' });
    expect(parseRunpodApiKey('   ')).toEqual({ state: 'unset' });
  });
});
