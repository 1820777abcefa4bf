import { ANIMATEDIFF_SIM_VERSION, SVD_SIM_VERSION } from '../../provider-sims/src/replicate/replicate-models';

/** The Replicate model versions the Replicate simulator serves, configured as the functions' versions. */
export const SIMULATED_VERSIONS = { animatediff: ANIMATEDIFF_SIM_VERSION, svd: SVD_SIM_VERSION } as const;
