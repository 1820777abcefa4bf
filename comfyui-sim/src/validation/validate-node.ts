import type { Catalogue, InputSpec, NodeDefinition } from '../catalogue/catalogue';
import { PyError, PyFloat, pyBool, pyFloat, pyInt, pyRepr, pyStr } from './py-values';
import type { ValidationError } from './types';

/** `validated[node_id]` of ComfyUI's validate_inputs: (valid, reasons). */
export interface NodeVerdict {
  valid: boolean;
  errors: ValidationError[];
}

/** What validating one node needs besides the graph. */
export interface NodeValidationContext {
  prompt: Record<string, Record<string, unknown>>;
  catalogue: Catalogue;
  /** LoadImage's VALIDATE_INPUTS: whether an (annotated) input file name exists. */
  inputFileExists(name: string): boolean;
  validated: Map<string, NodeVerdict>;
}

/** Classes with a VALIDATE_INPUTS hook, and the inputs it takes over from the generic checks. */
const CUSTOM_VALIDATED_INPUTS: Record<string, string[]> = { LoadImage: ['image'] };

function keyError(key: unknown): PyError {
  return new PyError('KeyError', pyRepr(key));
}

/** The type ComfyUI's validate_node_input compares: exact, wildcard or comma-separated overlap. */
function typesCompatible(received: unknown, expected: unknown): boolean {
  if (received === expected) return true;
  if (typeof received !== 'string' || typeof expected !== 'string') return false;
  const have = new Set(received.split(',').map((t) => t.trim()));
  const want = new Set(expected.split(',').map((t) => t.trim()));
  if (have.has('*') || want.has('*')) return true;
  return [...have].some((t) => want.has(t));
}

function outputTypeAt(definition: NodeDefinition, slot: unknown): string {
  if (typeof slot === 'boolean') slot = slot ? 1 : 0;
  if (typeof slot !== 'number' || !Number.isInteger(slot)) {
    throw new PyError('TypeError', `tuple indices must be integers or slices, not ${typeof slot === 'number' ? 'float' : 'str'}`);
  }
  const index = slot < 0 ? definition.output.length + slot : slot;
  const type = definition.output[index];
  if (type === undefined) throw new PyError('IndexError', 'tuple index out of range');
  return type;
}

function formatBound(bound: unknown, inputType: unknown): string {
  return typeof bound === 'number' && inputType === 'FLOAT' ? pyStr(new PyFloat(bound)) : pyStr(bound);
}

function coerce(value: unknown, inputType: unknown): unknown {
  if (inputType === 'INT') return pyInt(value);
  if (inputType === 'FLOAT') return pyFloat(value);
  if (inputType === 'STRING') return pyStr(value);
  if (inputType === 'BOOLEAN') return pyBool(value);
  return value;
}

function comboOptions(inputType: unknown, options: Record<string, unknown>): unknown[] | undefined {
  if (Array.isArray(inputType)) return inputType;
  if (inputType === 'COMBO') return Array.isArray(options.options) ? options.options : [];
  return undefined;
}

function checkValue(name: string, value: unknown, spec: InputSpec): ValidationError | undefined {
  const [inputType, options] = spec;
  const describe = (v: unknown) => (inputType === 'FLOAT' && typeof v === 'number' ? new PyFloat(v) : v);
  if (typeof options.min === 'number' && typeof value === 'number' && value < options.min) {
    return {
      type: 'value_smaller_than_min',
      message: `Value ${pyStr(describe(value))} smaller than min of ${formatBound(options.min, inputType)}`,
      details: name,
      extra_info: { input_name: name, input_config: options, received_value: value },
    };
  }
  if (typeof options.max === 'number' && typeof value === 'number' && value > options.max) {
    return {
      type: 'value_bigger_than_max',
      message: `Value ${pyStr(describe(value))} bigger than max of ${formatBound(options.max, inputType)}`,
      details: name,
      extra_info: { input_name: name, input_config: options, received_value: value },
    };
  }
  const combo = comboOptions(inputType, options);
  if (combo && !combo.includes(value)) {
    // ComfyUI leaves long lists (scanned model files) out of the answer.
    const long = combo.length > 20;
    return {
      type: 'value_not_in_list',
      message: 'Value not in list',
      details: `${name}: '${pyStr(value)}' not in ${long ? `(list of length ${combo.length})` : pyRepr(combo)}`,
      extra_info: { input_name: name, input_config: long ? null : options, received_value: value },
    };
  }
  return undefined;
}

/**
 * ComfyUI's `validate_inputs` for one node and, through its links, everything upstream. Coerces
 * widget values in place. Python exceptions it would raise (a link to a missing node) are thrown
 * as {@link PyError} for the caller to report the way ComfyUI does.
 */
export function validateNode(ctx: NodeValidationContext, nodeId: string, visiting: string[] = []): NodeVerdict {
  const known = ctx.validated.get(nodeId);
  if (known) return known;
  if (visiting.includes(nodeId)) return markCycle(ctx, [...visiting.slice(visiting.indexOf(nodeId)), nodeId]);

  const node = ctx.prompt[nodeId];
  if (!node) throw keyError(nodeId);
  if (!('inputs' in node)) throw keyError('inputs');
  const rawInputs = node.inputs;
  const inputs = (rawInputs !== null && typeof rawInputs === 'object' ? rawInputs : {}) as Record<string, unknown>;
  const classType = String(node.class_type);
  const definition = ctx.catalogue.get(classType);
  if (!definition) throw keyError(classType);

  const customInputs = CUSTOM_VALIDATED_INPUTS[classType] ?? [];
  const errors: ValidationError[] = [];
  let valid = true;
  const groups: Array<['required' | 'optional', Record<string, InputSpec>]> = [['required', definition.input.required]];
  if (definition.input.optional) groups.push(['optional', definition.input.optional]);

  for (const [category, group] of groups) {
    for (const [name, spec] of Object.entries(group)) {
      if (!Object.prototype.hasOwnProperty.call(inputs, name)) {
        if (category === 'required') {
          errors.push({ type: 'required_input_missing', message: 'Required input is missing', details: name, extra_info: { input_name: name } });
        }
        continue;
      }
      let value = inputs[name];
      const [inputType, options] = spec;
      if (Array.isArray(value)) {
        if (value.length !== 2) {
          errors.push({
            type: 'bad_linked_input',
            message: 'Bad linked input, must be a length-2 list of [node_id, slot_index]',
            details: name,
            extra_info: { input_name: name, input_config: options, received_value: value },
          });
          continue;
        }
        const [fromId, slot] = value as [unknown, unknown];
        const fromNode = typeof fromId === 'string' ? ctx.prompt[fromId] : undefined;
        if (!fromNode) throw keyError(fromId);
        const fromDefinition = ctx.catalogue.get(String(fromNode.class_type));
        if (!fromDefinition) throw keyError(fromNode.class_type);
        const receivedType = outputTypeAt(fromDefinition, slot);
        if (!typesCompatible(receivedType, inputType)) {
          errors.push({
            type: 'return_type_mismatch',
            message: 'Return type mismatch between linked nodes',
            details: `${name}, received_type(${receivedType}) mismatch input_type(${pyStr(inputType)})`,
            extra_info: { input_name: name, input_config: options, received_type: receivedType, linked_node: value },
          });
          continue;
        }
        try {
          if (!validateNode(ctx, fromId as string, [...visiting, nodeId]).valid) valid = false;
        } catch (ex) {
          if (!(ex instanceof PyError)) throw ex;
          valid = false;
          ctx.validated.set(fromId as string, {
            valid: false,
            errors: [
              {
                type: 'exception_during_inner_validation',
                message: 'Exception when validating inner node',
                details: ex.message,
                extra_info: { input_name: name, input_config: options, exception_message: ex.message, exception_type: ex.type, traceback: [], linked_node: value },
              },
            ],
          });
        }
        continue;
      }
      try {
        if (value !== null && typeof value === 'object' && '__value__' in value) value = value.__value__;
        value = coerce(value, inputType);
        inputs[name] = value;
      } catch (ex) {
        if (!(ex instanceof PyError)) throw ex;
        errors.push({
          type: 'invalid_input_type',
          message: `Failed to convert an input value to a ${pyStr(inputType)} value`,
          details: `${name}, ${pyStr(value)}, ${ex.message}`,
          extra_info: { input_name: name, input_config: options, received_value: value, exception_message: ex.message },
        });
        continue;
      }
      if (customInputs.includes(name)) continue;
      const error = checkValue(name, value, spec);
      if (error) errors.push(error);
    }
  }

  if (classType === 'LoadImage' && typeof inputs.image === 'string' && !ctx.inputFileExists(inputs.image)) {
    errors.push({
      type: 'custom_validation_failed',
      message: 'Custom validation failed for node',
      details: `image - Invalid image file: ${inputs.image}`,
      extra_info: { input_name: 'image' },
    });
  }

  // A cycle found further down may already have marked this node: keep that error too.
  const prior = ctx.validated.get(nodeId);
  const allErrors = prior ? [...prior.errors, ...errors] : errors;
  const verdict: NodeVerdict = { valid: (prior?.valid ?? true) && valid && allErrors.length === 0, errors: allErrors };
  ctx.validated.set(nodeId, verdict);
  return verdict;
}

function markCycle(ctx: NodeValidationContext, path: string[]): NodeVerdict {
  const cycleNodes = [...new Set(path)];
  const details = path.map((id) => `${id} (${String(ctx.prompt[id]?.class_type)})`).join(' -> ');
  for (const id of cycleNodes) {
    ctx.validated.set(id, {
      valid: false,
      errors: [{ type: 'dependency_cycle', message: 'Dependency cycle detected', details, extra_info: { node_id: id, cycle_nodes: cycleNodes } }],
    });
  }
  return ctx.validated.get(path[path.length - 1] as string) as NodeVerdict;
}
