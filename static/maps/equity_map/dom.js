/* Building the page from data. Every string reaches the DOM as a text node or an attribute, never as HTML. */

export const $ = (id) => document.getElementById(id);

/** A new element: attributes (`dataset` and `on<event>` handled), then children (nodes, or text). */
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** The page's error line; an empty message hides it. */
export function showError(message) {
  const box = $("map-error");
  box.textContent = message || "";
  box.hidden = !message;
}
