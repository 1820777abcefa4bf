import type { Catalogue } from '../catalogue/catalogue';
import { PyError, pyStr } from './py-values';
import type { NodeErrors, PromptValidation, ValidationError } from './types';
import { validateNode, type NodeVerdict } from './validate-node';

/** What prompt validation needs to know about the world. */
export interface PromptValidationContext {
  catalogue: Catalogue;
  inputFileExists(name: string): boolean;
  /** `partial_execution_targets`: only these output nodes, when given. */
  partialExecutionTargets?: readonly string[];
}

function invalidPrompt(message: string, nodeId: string): PromptValidation {
  return { ok: false, error: { type: 'invalid_prompt', message, details: `Node ID '#${nodeId}'`, extra_info: {} }, nodeErrors: {} };
}

/**
 * ComfyUI's `validate_prompt` (0.3.64): class checks first (any unknown node rejects the whole
 * prompt), then each output node with its upstream graph. Coerces widget values in `prompt` in
 * place, as ComfyUI does, so what is queued and stored in history is the coerced graph.
 */
export function validatePrompt(prompt: Record<string, unknown>, ctx: PromptValidationContext): PromptValidation {
  const nodes = prompt as Record<string, Record<string, unknown>>;
  const outputs: string[] = [];
  for (const [id, node] of Object.entries(prompt)) {
    if (node === null || typeof node !== 'object' || Array.isArray(node) || !('class_type' in node)) {
      return invalidPrompt('Cannot execute because a node is missing the class_type property.', id);
    }
    const classType = node.class_type;
    const definition = typeof classType === 'string' ? ctx.catalogue.get(classType) : undefined;
    if (!definition) return invalidPrompt(`Cannot execute because node ${pyStr(classType)} does not exist.`, id);
    if (definition.output_node && (!ctx.partialExecutionTargets || ctx.partialExecutionTargets.includes(id))) outputs.push(id);
  }
  if (outputs.length === 0) {
    return { ok: false, error: { type: 'prompt_no_outputs', message: 'Prompt has no outputs', details: '', extra_info: {} }, nodeErrors: {} };
  }

  const validated = new Map<string, NodeVerdict>();
  const nodeCtx = { prompt: nodes, catalogue: ctx.catalogue, inputFileExists: ctx.inputFileExists, validated };
  const goodOutputs: string[] = [];
  const outputErrors: ValidationError[] = [];
  const nodeErrors: NodeErrors = {};

  for (const output of outputs) {
    let verdict: NodeVerdict;
    try {
      verdict = validateNode(nodeCtx, output);
    } catch (ex) {
      if (!(ex instanceof PyError)) throw ex;
      verdict = {
        valid: false,
        errors: [
          {
            type: 'exception_during_validation',
            message: 'Exception when validating node',
            details: ex.message,
            extra_info: { exception_type: ex.type, traceback: [] },
          },
        ],
      };
      validated.set(output, verdict);
    }
    if (verdict.valid) {
      goodOutputs.push(output);
      continue;
    }
    outputErrors.push(...verdict.errors);
    // Like ComfyUI, every failing node seen so far counts this output as dependent.
    for (const [nodeId, result] of validated) {
      if (result.valid || result.errors.length === 0) continue;
      nodeErrors[nodeId] ??= { errors: result.errors, dependent_outputs: [], class_type: String(nodes[nodeId]?.class_type) };
      nodeErrors[nodeId].dependent_outputs.push(output);
    }
  }

  if (goodOutputs.length === 0) {
    return {
      ok: false,
      error: {
        type: 'prompt_outputs_failed_validation',
        message: 'Prompt outputs failed validation',
        details: outputErrors.map((e) => `${e.message}: ${e.details}`).join('\n'),
        extra_info: {},
      },
      nodeErrors,
    };
  }
  return { ok: true, outputs: goodOutputs, nodeErrors };
}
