import { CliConfigError, readCliCommand } from '../src/cli/cli-config';

describe('readCliCommand', () => {
  it('reads veo flags, with 8190 and info as defaults', () => {
    expect(readCliCommand(['veo', '--api-key', 'test-key', '--latency-ms', '250', '--scale', '0.25'], {})).toEqual({
      kind: 'veo',
      options: { port: 8190, logLevel: 'info', apiKey: ['test-key'], latencyMs: 250, scale: 0.25 },
    });
  });

  it('reads replicate flags and falls back to the environment', () => {
    const command = readCliCommand(['replicate', '--port', '0', '--versions', 'abc=svd,def=animatediff', '--models', 'me/svd=svd'], {
      REPLICATE_SIM_TOKEN: 'one,two',
      REPLICATE_SIM_PREDICT_MS: '50',
      FFMPEG_PATH: '/usr/bin/ffmpeg',
    });
    expect(command).toEqual({
      kind: 'replicate',
      options: { port: 0, logLevel: 'info', token: ['one', 'two'], predictMs: 50, versions: { abc: 'svd', def: 'animatediff' }, models: { 'me/svd': 'svd' }, ffmpegPath: '/usr/bin/ffmpeg' },
    });
  });

  it('reads runpod flags: GPU types with their rates, data centers and network volumes', () => {
    const command = readCliCommand(['runpod', '--boot-ms', '200', '--gpu-types', 'NVIDIA GeForce RTX 4090=0.44, NVIDIA L40S=0.86', '--network-volumes', 'vol_a=EU-RO-1'], {
      RUNPOD_SIM_API_KEY: 'k1',
      RUNPOD_SIM_DATA_CENTERS: 'US-KS-2,EU-RO-1',
    });
    expect(command).toEqual({
      kind: 'runpod',
      options: {
        port: 8192,
        logLevel: 'info',
        apiKey: ['k1'],
        bootMs: 200,
        gpuTypes: { 'NVIDIA GeForce RTX 4090': { hourlyRate: 0.44 }, 'NVIDIA L40S': { hourlyRate: 0.86 } },
        dataCenters: ['US-KS-2', 'EU-RO-1'],
        networkVolumes: { vol_a: 'EU-RO-1' },
      },
    });
    expect(() => readCliCommand(['runpod', '--gpu-types', 'NVIDIA L40S'], {})).toThrow(/"NVIDIA L40S" is not gpu type id=USD per hour/);
  });

  it('names the flag or command that is wrong', () => {
    expect(() => readCliCommand(['veo', '--port', 'x'], {})).toThrow(/--port \/ VEO_SIM_PORT/);
    expect(() => readCliCommand(['replicate', '--versions', 'abc=sdxl'], {})).toThrow(/"abc=sdxl" is not key=svd or key=animatediff/);
    expect(() => readCliCommand(['veo', '--token', 't'], {})).toThrow(CliConfigError);
    expect(() => readCliCommand(['comfy'], {})).toThrow(/unknown command "comfy"/);
    expect(readCliCommand([], {})).toEqual({ kind: 'help' });
    expect(readCliCommand(['veo', '--help'], {})).toEqual({ kind: 'help' });
  });
});
