const PARTIAL_BLOCKS = [' ', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
const BAR_WIDTH = 10;

function clock(seconds: number): string {
  const whole = Math.max(0, Math.floor(seconds));
  return `${String(Math.floor(whole / 60)).padStart(2, '0')}:${String(whole % 60).padStart(2, '0')}`;
}

/**
 * One tqdm progress line as SVD and AnimateDiff print them into Replicate's logs, e.g.
 * `  40%|████      | 10/25 [00:04<00:06,  2.45it/s]` (which replicate's `parseProgressFromLogs` reads).
 */
export function progressLine(done: number, total: number, elapsedSeconds: number): string {
  const fraction = total > 0 ? done / total : 1;
  const cells = fraction * BAR_WIDTH;
  const full = Math.floor(cells);
  const partial = full < BAR_WIDTH ? PARTIAL_BLOCKS[Math.floor((cells - full) * PARTIAL_BLOCKS.length)]! : '';
  const bar = ('█'.repeat(full) + partial).padEnd(BAR_WIDTH, ' ');
  const rate = elapsedSeconds > 0 ? done / elapsedSeconds : 0;
  const remaining = rate > 0 ? (total - done) / rate : 0;
  return `${String(Math.floor(fraction * 100)).padStart(4)}%|${bar}| ${done}/${total} [${clock(elapsedSeconds)}<${clock(remaining)}, ${rate.toFixed(2).padStart(5)}it/s]`;
}
