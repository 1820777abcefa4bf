import type { Executor } from '../execution/executor';
import type { SimCore } from '../sim-core';

/** What every route handler works with. */
export interface RouteContext {
  core: SimCore;
  executor: Executor;
}
