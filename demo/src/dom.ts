/** The element with this id, checked to be of the expected kind (the page and the code must agree). */
export function byId<T extends HTMLElement>(id: string, kind: new () => T): T {
  const element = document.getElementById(id);
  if (!(element instanceof kind)) throw new Error(`#${id} is missing from the page or is not a ${kind.name}`);
  return element;
}

/** Shows `text` in an element that is hidden while it has nothing to say. */
export function say(element: HTMLElement, text: string | null): void {
  element.textContent = text ?? '';
  element.hidden = !text;
}

/** A message for anything thrown: Firebase errors carry a `code` worth showing beside the message. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const { code } = error as { code?: unknown };
  // Firebase messages read "Firebase Storage: What happened. (storage/code)"; keep what happened, then the code.
  let message = error.message.replace(/^Firebase(?: Storage)?: /, '');
  if (typeof code !== 'string') return message;
  message = message.replace(`(${code})`, '').trim().replace(/\.$/, '');
  return `${message} (${code})`;
}
