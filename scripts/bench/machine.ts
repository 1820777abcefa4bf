import { cpus, freemem, loadavg, totalmem } from 'node:os';

/** What a reader needs to weigh the figures: the machine, and how busy it was. */
export interface MachineFacts {
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  freeMemoryGiB: number;
  /** Load average over 1, 5 and 15 minutes. */
  load: [number, number, number];
  node: string;
}

export function machineFacts(): MachineFacts {
  const [one = 0, five = 0, fifteen = 0] = loadavg();
  return {
    cores: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown CPU',
    memoryGiB: totalmem() / 2 ** 30,
    freeMemoryGiB: freemem() / 2 ** 30,
    load: [one, five, fifteen],
    node: process.version,
  };
}

export function loadText(load: readonly number[]): string {
  return `${load.map((n) => n.toFixed(2)).join(' / ')} (1 / 5 / 15 min)`;
}

/** One line: "2 cores (model), 23.5 GiB memory (21.0 free), load average 0.10 / ... , Node v24". */
export function machineText(facts: MachineFacts): string {
  return `${facts.cores} cores (${facts.cpuModel}), ${facts.memoryGiB.toFixed(1)} GiB memory (${facts.freeMemoryGiB.toFixed(1)} free), load average ${loadText(facts.load)}, Node ${facts.node}`;
}
