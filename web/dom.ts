/// <reference no-default-lib="true" />
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/// <reference lib="esnext" />
/**
 * Building the page's elements. Every text a user wrote (names, messages,
 * status texts) becomes a text node here: nothing is ever parsed as HTML,
 * so a message such as `<img onerror=…>` shows as what it says.
 *
 * @module
 */

type Child = Node | string | number | null | undefined | false;
type Props = Record<string, string | boolean | undefined | ((event: Event) => void)>;

/**
 * An element with attributes (`class`, `aria-*`…; `true` sets a boolean
 * attribute, `false` or `undefined` leaves it out), event listeners (`onclick`…)
 * and children (strings become text).
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else if (value === true) {
      element.setAttribute(name, "");
    } else if (typeof value === "string") {
      element.setAttribute(name, value);
    }
  }
  element.append(...texts(children));
  return element;
}

/**
 * Replaces an element's children. Focus inside it survives: the new element
 * with the same `data-focus` as the focused old one takes it, so that a
 * keyboard user's place is not lost when a list is drawn again.
 */
export function fill(element: Element, ...children: Child[]): void {
  const focused = document.activeElement;
  const key = focused instanceof HTMLElement && element.contains(focused)
    ? focused.dataset.focus
    : undefined;
  element.replaceChildren(...texts(children));
  if (key !== undefined) {
    element.querySelector<HTMLElement>(`[data-focus="${CSS.escape(key)}"]`)?.focus();
  }
}

function texts(children: Child[]): (Node | string)[] {
  return children.filter((child) => child !== null && child !== undefined && child !== false)
    .map((child) => typeof child === "number" ? String(child) : child as Node | string);
}

/** The element with this id, which the page must have. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element as T;
}

/** A time of day, or a date and time when it is not today. */
export function when(ts: number): string {
  const date = new Date(ts);
  const today = new Date().toDateString() === date.toDateString();
  return today
    ? date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })
    : date.toLocaleString([], { dateStyle: "short", timeStyle: "short" });
}
