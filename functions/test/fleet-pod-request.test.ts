import { fleetPodRequest } from '../src/fleet/pod-request';

describe('fleetPodRequest', () => {
  it('gives a pod built from an image the worker port and room for the image, and names its worker after the pod', () => {
    expect(fleetPodRequest({ image: 'registry.example/vidgen-gpu-worker:abc123', env: { LOG_LEVEL: 'info', WORKER_ID: 'ignored' } }, 'vidgen-fleet-1')).toEqual({
      name: 'vidgen-fleet-1',
      cloud: 'SECURE',
      image: 'registry.example/vidgen-gpu-worker:abc123',
      env: { LOG_LEVEL: 'info', WORKER_ID: 'vidgen-fleet-1' },
      ports: ['8000/http'],
      disk: 40,
    });
  });

  it('leaves a RunPod template its own disk and ports unless config/fleet sets them, since body fields override the template', () => {
    const request = fleetPodRequest({ templateId: 'tpl_worker', networkVolumeId: 'vol_models', dataCenterIds: ['US-KS-2'] }, 'vidgen-fleet-2');
    expect(request).toEqual({
      name: 'vidgen-fleet-2',
      cloud: 'SECURE',
      templateId: 'tpl_worker',
      env: { WORKER_ID: 'vidgen-fleet-2' },
      dataCenterIds: ['US-KS-2'],
      mounts: { network: [{ volumeId: 'vol_models', path: '/workspace' }] },
    });
    expect(fleetPodRequest({ templateId: 'tpl_worker', diskGb: 60, ports: ['8000/http', '22/tcp'] }, 'vidgen-fleet-3')).toMatchObject({ disk: 60, ports: ['8000/http', '22/tcp'] });
  });
});
