/**
 * Tiny DOM helpers. Text from the chart is only ever set through `textContent` (never innerHTML), so names like
 * `<img src=x onerror=…>` show as the characters they are. `dir="auto"` lets Arabic or Hebrew names run right-to-left.
 */
type Child = Node | string | null | undefined | false;

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    node.setAttribute(name, value);
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) {
      continue;
    }
    node.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return node;
}

/** A text span for a value from the chart: isolated direction, and a marker for tests and styles. */
export function chartText(field: string, value: string): HTMLSpanElement {
  return el('span', { 'data-field': field, dir: 'auto', class: 'chart-text' }, value);
}
