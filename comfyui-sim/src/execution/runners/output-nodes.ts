import path from 'node:path';
import { nextComfyCounter, nextVhsCounter, pad5, saveTarget } from '../../outputs/file-names';
import type { VideoEncoding } from '../../outputs/video-writer';
import type { NodeRunApi } from '../node-api';
import { opaque, type NodeResult } from '../sim-values';
import { num, shapeOf, simValue, str, type ResolvedInputs } from './inputs';
import type { NodeRunner } from './model-nodes';

const VHS_ENCODINGS: Record<string, { encoding: VideoEncoding; extension: string }> = {
  'image/gif': { encoding: 'gif', extension: 'gif' },
  'image/webp': { encoding: 'webp', extension: 'webp' },
  'video/ffmpeg-gif': { encoding: 'gif', extension: 'gif' },
  'video/h264-mp4': { encoding: 'h264-mp4', extension: 'mp4' },
  'video/h265-mp4': { encoding: 'h265-mp4', extension: 'mp4' },
  'video/webm': { encoding: 'webm', extension: 'webm' },
};

/**
 * VideoHelperSuite's VHS_VideoCombine (videohelpersuite/nodes.py at 8923bd8, `combine_video`): the
 * first frame is saved as `<prefix>_<counter>.png` before any frame is encoded, then the video under
 * the same prefix and counter, in the output folder (`temp` when `save_output` is false). An
 * interrupt during the frames therefore leaves the PNG behind, as on a real pod.
 */
async function videoCombine(api: NodeRunApi, inputs: ResolvedInputs): Promise<NodeResult> {
  const shape = shapeOf(inputs, 'images');
  const frameRate = num(inputs, 'frame_rate', 8);
  const format = str(inputs, 'format', 'image/gif');
  const { encoding, extension } = VHS_ENCODINGS[format] ?? { encoding: 'gif', extension: 'gif' };
  const frames = inputs.pingpong === true ? Math.max(shape.frames, 2 * shape.frames - 2) : shape.frames;
  const type = inputs.save_output === false ? 'temp' : 'output';
  const target = saveTarget(api.core.dirs[type], str(inputs, 'filename_prefix', 'AnimateDiff'));
  const stem = `${target.filename}_${pad5(nextVhsCounter(target))}`;
  const posterPath = path.join(target.folder, `${stem}.png`);
  await api.core.writer.write(posterPath, { ...shape, frames: 1, fps: frameRate, encoding: 'png' });
  for (let frame = 1; frame <= frames; frame += 1) {
    await api.sleep(api.core.timing.frameMs);
    await api.progress(frame, frames);
  }
  const fullpath = path.join(target.folder, `${stem}.${extension}`);
  await api.core.writer.write(fullpath, { ...shape, frames, fps: frameRate, encoding, crf: num(inputs, 'crf', 19) });
  api.core.counters.filesWritten += 1;
  const file = { filename: `${stem}.${extension}`, subfolder: target.subfolder, type, format, frame_rate: frameRate, workflow: `${stem}.png`, fullpath };
  return { outputs: [opaque('VHS_FILENAMES')], ui: { gifs: [file] } };
}

async function saveAnimated(api: NodeRunApi, inputs: ResolvedInputs, source: 'images' | 'video', encoding: VideoEncoding, extension: string): Promise<NodeResult> {
  await api.checkpoint();
  const shape = shapeOf(inputs, source);
  const video = simValue(inputs, source);
  const fps = video?.kind === 'video' ? video.fps : num(inputs, 'fps', 6);
  const target = saveTarget(api.core.dirs.output, str(inputs, 'filename_prefix', source === 'video' ? 'video/ComfyUI' : 'ComfyUI'));
  const filename = `${target.filename}_${pad5(nextComfyCounter(target))}_.${extension}`;
  await api.core.writer.write(path.join(target.folder, filename), { ...shape, fps, encoding });
  api.core.counters.filesWritten += 1;
  const animated = source === 'video' || shape.frames !== 1;
  return { outputs: [], ui: { images: [{ filename, subfolder: target.subfolder, type: 'output' }], animated: [animated] } };
}

/** Nodes that make videos and write files. */
export const outputNodeRunners: Record<string, NodeRunner> = {
  VHS_VideoCombine: videoCombine,
  async CreateVideo(api, inputs) {
    await api.checkpoint();
    return { outputs: [{ kind: 'video', ...shapeOf(inputs, 'images'), fps: num(inputs, 'fps', 30) }] };
  },
  SaveVideo: (api, inputs) => saveAnimated(api, inputs, 'video', 'h264-mp4', 'mp4'),
  SaveAnimatedWEBP: (api, inputs) => saveAnimated(api, inputs, 'images', 'webp', 'webp'),
};
