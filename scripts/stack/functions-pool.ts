/**
 * The Functions emulator runs each call in a process of its own and starts one for every call that
 * finds none idle, each with a time limit to load the code (FUNCTIONS_DISCOVERY_TIMEOUT). Forty calls
 * at once on a cold emulator start forty processes together; on a busy two-core machine none of them
 * loads in time, and the emulator then never answers those calls. Production instances serve many
 * calls each and scale ahead of that.
 *
 * So a burst of concurrent calls is preceded by this: `serve(i)` is a call our code answers at once
 * without writing anything (invalid input), made `step` more at a time until `size` run at once, so
 * at most `step` processes start together. It resolves once `size` calls at once were all answered.
 */
export async function growFunctionsPool(serve: (index: number) => Promise<boolean>, size: number, options: { step?: number; maxRounds?: number } = {}): Promise<void> {
  const step = options.step ?? 5;
  const maxRounds = options.maxRounds ?? 4 * Math.ceil(size / step);
  let concurrent = Math.min(step, size);
  for (let round = 1; ; round += 1) {
    const served = await Promise.all(Array.from({ length: concurrent }, (_, i) => serve(i).catch(() => false)));
    if (served.every(Boolean)) {
      if (concurrent === size) return;
      concurrent = Math.min(size, concurrent + step);
    }
    if (round >= maxRounds) throw new Error(`the Functions emulator could not serve ${concurrent} calls at once after ${round} rounds`);
  }
}
