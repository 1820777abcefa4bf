import type { FaultKind } from '../faults/faults';

/** A node raised a Python exception: becomes `execution_error`. */
export class NodeFailure extends Error {
  constructor(
    readonly exceptionType: string,
    message: string,
    readonly details: { tips?: string; traceback?: string[]; outOfMemory?: boolean } = {},
  ) {
    super(message);
    this.name = 'NodeFailure';
  }
}

/** `POST /interrupt` took effect: becomes `execution_interrupted`. */
export class Interrupted extends Error {
  constructor() {
    super('Processing interrupted');
    this.name = 'Interrupted';
  }
}

/** The `lose_prompt` fault: the prompt vanishes without a trace. */
export class PromptLost extends Error {
  constructor() {
    super('prompt lost');
    this.name = 'PromptLost';
  }
}

/** The simulator is stopping (closed, or the `exit` fault): abandon the prompt silently. */
export class Halted extends Error {
  constructor() {
    super('simulator halted');
    this.name = 'Halted';
  }
}

const OOM_MESSAGE =
  'CUDA out of memory. Tried to allocate 2.50 GiB. GPU 0 has a total capacity of 23.65 GiB of which 1.02 GiB is free. ' +
  'Including non-PyTorch memory, this process has 22.62 GiB memory in use. Of the allocated memory 21.87 GiB is allocated by PyTorch, ' +
  'and 312.45 MiB is reserved by PyTorch but unallocated. If reserved but unallocated memory is large try setting ' +
  'PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True to avoid fragmentation.  See documentation for Memory Management  ' +
  '(https://pytorch.org/docs/stable/notes/cuda.html#environment-variables)';

const OOM_TIPS =
  'This error means you ran out of memory on your GPU.\n\nTIPS: If the workflow worked before you might have accidentally set the batch_size to a large number.';

function traceback(classType: string, kind: FaultKind, step: number): string[] {
  return [
    '  File "/comfyui/execution.py", line 496, in execute\n',
    '  File "/comfyui/execution.py", line 315, in get_output_data\n',
    `  File "<comfyui-sim>", line ${step}, in ${classType} (injected fault: ${kind})\n`,
  ];
}

/** The Python exception an injected error fault raises in a node. */
export function failureForFault(kind: 'oom' | 'file_not_found' | 'exception', classType: string, step: number, missingPath: string): NodeFailure {
  const trace = traceback(classType, kind, step);
  if (kind === 'oom') return new NodeFailure('torch.OutOfMemoryError', OOM_MESSAGE, { tips: OOM_TIPS, traceback: trace, outOfMemory: true });
  if (kind === 'file_not_found') {
    return new NodeFailure('FileNotFoundError', `[Errno 2] No such file or directory: '${missingPath}'`, { traceback: trace });
  }
  return new NodeFailure('RuntimeError', `simulated failure in ${classType} at step ${step} (fault injected through comfyui-sim /sim/faults)`, { traceback: trace });
}
