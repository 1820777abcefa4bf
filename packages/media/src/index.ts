export * from './cloud-store';
export * from './encode';
export * from './ffmpeg';
export * from './local-store';
export * from './store';
