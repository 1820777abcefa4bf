import { randomUUID } from 'node:crypto';
import { z } from 'zod';

/** What a fault does when it fires. */
export const FaultKindSchema = z
  .enum(['oom', 'file_not_found', 'exception', 'drop_socket', 'exit', 'stuck', 'lose_prompt'])
  .describe('oom/file_not_found/exception: execution_error; drop_socket: cut the client socket; exit: the process dies; stuck: hang until interrupted or cleared; lose_prompt: vanish without history');
export type FaultKind = z.infer<typeof FaultKindSchema>;

/** A fault to inject, as `POST /sim/faults` takes it. */
export const FaultSpecSchema = z
  .object({
    kind: FaultKindSchema,
    atStep: z.number().int().min(1).default(1).describe('step (sampler step, video frame) at which it fires; nodes without steps fire on start'),
    node: z.string().min(1).default('KSampler').describe('class_type of the node it hits'),
    promptContains: z.string().optional().describe('fire only for prompts whose CLIPTextEncode text contains this; absent: the next prompt'),
    times: z.number().int().min(1).default(1).describe('how many times it fires before it is used up'),
  })
  .strict();
export type FaultSpec = z.infer<typeof FaultSpecSchema>;
/** A fault as given, before defaults. */
export type FaultInput = z.input<typeof FaultSpecSchema>;

/** An armed fault. */
export interface Fault extends FaultSpec {
  id: string;
  /** How many times it has fired so far. */
  fired: number;
}

/** Where a running prompt stands, to match against faults. */
export interface FaultPoint {
  /** CLIPTextEncode texts of the prompt. */
  texts: readonly string[];
  classType: string;
  step: number;
  maxStep: number;
}

/** The armed faults. */
export class FaultStore {
  private faults: Fault[] = [];
  private clearCount = 0;

  /** Changes whenever the faults are cleared: a stuck prompt waits for this to move. */
  get generation(): number {
    return this.clearCount;
  }

  /** Arms a fault (parsed and defaulted) and returns it. */
  add(spec: FaultSpec): Fault {
    const fault: Fault = { ...spec, id: randomUUID(), fired: 0 };
    this.faults.push(fault);
    return fault;
  }

  /** Every armed fault. */
  list(): Fault[] {
    return this.faults.map((fault) => ({ ...fault }));
  }

  /** Disarms every fault (and releases any prompt stuck on one). */
  clear(): void {
    this.faults = [];
    this.clearCount += 1;
  }

  /** The first armed fault that fires at this point, counted as fired (and removed when used up). */
  take(point: FaultPoint): Fault | undefined {
    const fault = this.faults.find(
      (candidate) =>
        candidate.node === point.classType &&
        Math.min(candidate.atStep, point.maxStep) === point.step &&
        (candidate.promptContains === undefined || point.texts.some((text) => text.includes(candidate.promptContains as string))),
    );
    if (!fault) return undefined;
    fault.fired += 1;
    if (fault.fired >= fault.times) this.faults = this.faults.filter((f) => f !== fault);
    return { ...fault };
  }
}
