import { FLEET_DEFAULTS, FLEET_SETTINGS_DOCUMENT, FleetSettingsSchema, readFleetSettings } from '@vidgen/contract';

describe('config/fleet', () => {
  it('lives at config/fleet, and is off with at most one pod when absent', () => {
    expect(FLEET_SETTINGS_DOCUMENT).toBe('config/fleet');
    expect(readFleetSettings(undefined)).toEqual({ settings: FLEET_DEFAULTS, problems: [] });
    expect(FLEET_DEFAULTS).toMatchObject({ enabled: false, minPods: 0, maxPods: 1, stopPolicy: 'terminate', template: null, gpuTypeIds: [] });
  });

  it('accepts every setting at once', () => {
    const settings = {
      enabled: true,
      minPods: 1,
      maxPods: 4,
      jobsPerPod: 2,
      scaleUpStep: 2,
      scaleDownStabilisationSeconds: 300,
      gpuTypeIds: ['NVIDIA GeForce RTX 4090', 'NVIDIA L40S'],
      template: { templateId: 'tpl_worker', networkVolumeId: 'vol_models', dataCenterIds: ['US-KS-2'], env: { LOG_LEVEL: 'info' }, ports: ['8000/http'], diskGb: 40 },
      stopPolicy: 'stop',
      bootTimeoutSeconds: 600,
      warmHours: { fromHour: 8, toHour: 20, minPods: 2 },
    };
    expect(FleetSettingsSchema.parse(settings)).toEqual(settings);
    expect(readFleetSettings(settings)).toEqual({ settings, problems: [] });
  });

  it('takes the default for each invalid field, says what was wrong, and keeps the valid ones', () => {
    const reading = readFleetSettings({
      enabled: true,
      maxPods: -2,
      jobsPerPod: 1.5,
      stopPolicy: 'pause',
      template: { networkVolumeId: 'vol_models' },
      warmHours: { fromHour: 24, toHour: 6, minPods: 1 },
      scaleUpStep: 3,
      maxPod: 9,
    });
    expect(reading.settings).toEqual({ ...FLEET_DEFAULTS, enabled: true, scaleUpStep: 3 });
    expect(reading.problems).toEqual([
      'maxPods: must be 0 or more',
      'jobsPerPod: must be a whole number',
      'template: needs image or templateId',
      'stopPolicy: must be stop or terminate',
      'warmHours.fromHour: must be 0 to 23',
      'maxPod: is not a known field',
    ]);
  });

  it('lowers a minPods above maxPods to it, and says so', () => {
    expect(readFleetSettings({ minPods: 5, maxPods: 2 })).toEqual({
      settings: { ...FLEET_DEFAULTS, minPods: 2, maxPods: 2 },
      problems: ['minPods: is above maxPods (2); maxPods applies'],
    });
  });

  it('reports a document that is not a map', () => {
    expect(readFleetSettings('on').problems).toEqual(['config/fleet: must be a map of settings']);
  });
});
