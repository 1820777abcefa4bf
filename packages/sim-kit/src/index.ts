export * from './cli';
export * from './ffmpeg-path';
export * from './run-ffmpeg';
