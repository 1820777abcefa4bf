/** The package's public entry: start the Veo (Gemini API) and Replicate simulators in-process. */
export { createVeoSimulator, type VeoSimulator } from './veo/veo-simulator';
export { VeoSettingsSchema, type VeoSettings, type VeoSimulatorOptions } from './veo/veo-options';
export { VeoOutcomeSchema, VeoScriptSpecSchema, type VeoOutcome, type VeoScriptSpec } from './veo/veo-script';
export type { VeoSimState, VeoOperationState } from './veo/veo-state';
export { VEO_MODELS, EXTENSION_SECONDS, MAX_EXTENDED_SECONDS, VEO_FPS, type VeoModelSpec } from './veo/veo-models';
export type { ScriptEntry } from './shared/script-book';
export type { SeenRequest } from './shared/request-log';
export { createReplicateSimulator, type ReplicateSimulator } from './replicate/replicate-simulator';
export { ReplicateSettingsSchema, type ReplicateSettings, type ReplicateSimulatorOptions } from './replicate/replicate-options';
export { ReplicateOutcomeSchema, ReplicateScriptSpecSchema, type ReplicateOutcome, type ReplicateScriptSpec } from './replicate/replicate-script';
export { SVD_SIM_VERSION, ANIMATEDIFF_SIM_VERSION, DEFAULT_VERSIONS, MODEL_NAMES, ReplicateModelKindSchema, type ReplicateModelKind } from './replicate/replicate-models';
export { PredictionSchema, PredictionStatusSchema, WebhookEventSchema, type Prediction, type PredictionStatus, type WebhookEvent } from './replicate/prediction';
export type { ReplicateSimState, ReplicatePredictionState } from './replicate/replicate-state';
export type { WebhookDelivery } from './replicate/prediction-record';
export { signWebhook } from './replicate/webhook-signature';
