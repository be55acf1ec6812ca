// Building the screen without innerHTML: every piece of text (product and customer names
// come from outside) goes in as a text node, so nothing from data is ever parsed as HTML.

export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v == null || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "text") el.textContent = String(v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "hidden" || k === "disabled" || k === "value" || k === "checked") el[k] = v;
    else if (k === "style" || k.startsWith("on")) throw new Error("no inline styles or handlers");
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  add(el, children);
  return el;
}

export function add(el, children) {
  for (const c of [children].flat(Infinity)) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function $(sel, root = document) { return root.querySelector(sel); }

export function text(el, value) {
  if (el) el.textContent = value == null ? "" : String(value);
  return el;
}

/** A button with its shortcut shown on it: [F5] Pay. */
export function btn(label, { key, cls = "", onclick, id, disabled, title } = {}) {
  return h("button", { type: "button", class: `btn ${cls}`.trim(), id, disabled, title,
                       dataset: key ? { key } : undefined,
                       onclick },
           key ? h("kbd", { text: key }) : null, h("span", { text: label }));
}

/** Keep focus where it is when a button is pressed with the mouse or a finger. */
export function keepFocus(el) {
  el.addEventListener("mousedown", (e) => {
    if (!(e.target instanceof Element) || !e.target.closest("input, select, textarea")) e.preventDefault();
  });
  return el;
}
