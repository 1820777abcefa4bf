/**
 * Python value semantics that ComfyUI's validation exposes in its messages: `int()`, `float()`,
 * `str()`, `bool()` coercions and `str()` / `repr()` formatting. Error messages are Python's own,
 * so a client that matches on them sees the same text as from real ComfyUI.
 */

/** A Python exception as data: `type` is its qualified name, `message` what `str(ex)` prints. */
export class PyError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
    this.name = type;
  }
}

/** Python's `2**64 - 1` (KSampler's seed max) is not a JS number; it arrives as `2**64`. */
const UINT64_MAX_AS_NUMBER = 2 ** 64;

/** A marker for numbers that Python holds as `float` (so `1` prints as `1.0`). */
export class PyFloat {
  constructor(readonly value: number) {}
}

function pyTypeName(value: unknown): string {
  if (value === null || value === undefined) return 'NoneType';
  if (typeof value === 'string') return 'str';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (Array.isArray(value)) return 'list';
  return 'dict';
}

/** `repr()` of a Python string: single quotes unless the text holds one and no double quote. */
export function pyReprString(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let body = text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t');
  if (quote === "'") body = body.replace(/'/g, "\\'");
  return `${quote}${body}${quote}`;
}

function formatInt(value: number): string {
  if (value === UINT64_MAX_AS_NUMBER) return '18446744073709551615';
  if (Math.abs(value) >= 2 ** 53) return BigInt(value).toString();
  return String(value);
}

/** `repr(float)`: always a decimal point or exponent, Python's exponent spelling. */
export function formatFloat(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  if (Number.isInteger(value) && Math.abs(value) < 1e16) return `${value}.0`;
  return String(value).replace(/e([+-])(\d)$/, 'e$10$2');
}

/** Python `str(value)` for JSON-shaped values. */
export function pyStr(value: unknown): string {
  if (value instanceof PyFloat) return formatFloat(value.value);
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') return Number.isInteger(value) ? formatInt(value) : formatFloat(value);
  if (typeof value === 'string') return value;
  return pyRepr(value);
}

/** Python `repr(value)` for JSON-shaped values. */
export function pyRepr(value: unknown): string {
  if (typeof value === 'string') return pyReprString(value);
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  if (value !== null && typeof value === 'object' && !(value instanceof PyFloat)) {
    const entries = Object.entries(value as Record<string, unknown>).map(([k, v]) => `${pyReprString(k)}: ${pyRepr(v)}`);
    return `{${entries.join(', ')}}`;
  }
  return pyStr(value);
}

/** Python `int(value)`. */
export function pyInt(value: unknown): number {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number') {
    if (Number.isNaN(value)) throw new PyError('ValueError', 'cannot convert float NaN to integer');
    if (!Number.isFinite(value)) throw new PyError('OverflowError', 'cannot convert float infinity to integer');
    return Math.trunc(value);
  }
  if (typeof value === 'string') {
    const text = value.trim();
    if (/^[+-]?\d+(_\d+)*$/.test(text)) return Number(text.replace(/_/g, ''));
    throw new PyError('ValueError', `invalid literal for int() with base 10: ${pyReprString(value)}`);
  }
  throw new PyError('TypeError', `int() argument must be a string, a bytes-like object or a real number, not '${pyTypeName(value)}'`);
}

/** Python `float(value)`. */
export function pyFloat(value: unknown): number {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    const text = value.trim().replace(/_/g, '');
    if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text)) return Number(text);
    if (/^[+-]?(inf|infinity)$/i.test(text)) return text.startsWith('-') ? -Infinity : Infinity;
    if (/^[+-]?nan$/i.test(text)) return NaN;
    throw new PyError('ValueError', `could not convert string to float: ${pyReprString(value)}`);
  }
  throw new PyError('TypeError', `float() argument must be a string or a real number, not '${pyTypeName(value)}'`);
}

/** Python truthiness, which is what ComfyUI's BOOLEAN coercion uses ("false" is true). */
export function pyBool(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  if (typeof value === 'string') return value.length > 0;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.length > 0;
  return Object.keys(value).length > 0;
}
