/** The package's public entry: start a simulator in-process. */
export { createComfySimulator, type ComfySimulator } from './server';
export type { ComfySimulatorOptions, Timing, TimingPatch } from './options';
export { SimulatorSettingsSchema, TimingSchema, TimingPatchSchema } from './options';
export { FaultSpecSchema, FaultKindSchema, type Fault, type FaultInput, type FaultKind, type FaultSpec } from './faults/faults';
export { DEFAULT_MODELS, type ModelFolders } from './catalogue/models';
export type { SimState } from './sim-state';
export type { DataDirs } from './outputs/data-dirs';
export type { ComfyWsMessage } from './ws/messages';
export { SIMULATED_DEVICE_NAME } from './routes/info';
