export * from './cloud-store';
export * from './encode';
export * from './ffmpeg';
export * from './store';
