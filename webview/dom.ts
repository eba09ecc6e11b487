/** Small DOM builders shared by the webviews' views (browser code only). */

/** An element with an optional class name and text. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls = '', text = ''): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text) e.textContent = text;
  return e;
}

/** A `<vscode-button>` (secondary unless said otherwise) with a codicon and a click handler. */
export function button(label: string, icon: string, onClick: () => void, secondary = true): HTMLElement {
  const b = document.createElement('vscode-button');
  if (secondary) b.setAttribute('secondary', '');
  if (icon) b.setAttribute('icon', icon);
  b.textContent = label;
  b.addEventListener('click', onClick);
  return b;
}
