'use strict';
// Preloaded (node --require) into a stack process to move its wall clock by VIDGEN_CLOCK_SKEW_MS,
// as on a machine whose clock is off: Date moves, timers and monotonic clocks do not.
const skewMs = Number(process.env.VIDGEN_CLOCK_SKEW_MS ?? 0);
if (Number.isFinite(skewMs) && skewMs !== 0) {
  const RealDate = Date;
  const now = () => RealDate.now() + skewMs;
  globalThis.Date = new Proxy(RealDate, {
    construct: (target, args, newTarget) => Reflect.construct(target, args.length === 0 ? [now()] : args, newTarget),
    apply: () => new RealDate(now()).toString(),
    get: (target, key, receiver) => (key === 'now' ? now : Reflect.get(target, key, receiver)),
  });
}
