import type { Logger } from 'pino';
import { z } from 'zod';
import { ModelFoldersSchema } from './catalogue/models';

/** Simulated durations. */
export const TimingSchema = z.object({
  modelLoadMs: z.number().min(0).default(300).describe('a loader node loading a model file not yet loaded'),
  stepMs: z.number().min(0).default(150).describe('one KSampler step'),
  decodeMs: z.number().min(0).default(200).describe('one VAEDecode'),
  frameMs: z.number().min(0).default(10).describe('one frame in VHS_VideoCombine'),
});
export type Timing = z.infer<typeof TimingSchema>;

/** A change to the timing, as `POST /sim/timing` takes it. */
export const TimingPatchSchema = TimingSchema.partial().strict();
export type TimingPatch = z.infer<typeof TimingPatchSchema>;

/** The serialisable options of a simulator (CLI flags and environment map onto these). */
export const SimulatorSettingsSchema = z.object({
  host: z.string().min(1).default('127.0.0.1').describe('interface to listen on'),
  port: z.number().int().min(0).max(65535).default(8188).describe('port to listen on; 0 picks a free one'),
  dataDir: z.string().min(1).optional().describe('folder holding input/, output/ and temp/; default a new temporary folder'),
  timing: TimingPatchSchema.default({}).describe('simulated durations'),
  models: ModelFoldersSchema.optional().describe('model files by folder, replacing the defaults for the folders named'),
  absentModels: z.array(z.string()).default([]).describe('model files (name or folder/name) to leave out, so loaders report value_not_in_list'),
  absentNodes: z.array(z.string()).default([]).describe('node classes to leave out, as if their custom node pack were not installed'),
  ffmpegPath: z.string().min(1).optional().describe('ffmpeg binary; default FFMPEG_PATH, ffmpeg on PATH, then @ffmpeg-installer/ffmpeg'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('warn').describe('pino log level when no logger is given'),
});
export type SimulatorSettings = z.infer<typeof SimulatorSettingsSchema>;

/** Options of {@link createComfySimulator}. */
export type ComfySimulatorOptions = z.input<typeof SimulatorSettingsSchema> & {
  /** Logger to use instead of a new pino logger at `logLevel`. */
  logger?: Logger;
  /**
   * Called when the `exit` fault fires, after the server was torn down abruptly. The CLI exits the
   * process with the code; embedded simulators (tests) just see the server gone.
   */
  onExit?: (code: number) => void;
};
