type Child = Node | string | null | undefined | false;
type Attrs = Record<string, string | number | boolean | undefined | ((e: Event) => void)>;

/** `h('button', { onclick, class: 'primary' }, 'Enrich')`: DOM without a framework, for a sidebar of a few panels. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v);
    else if (k in el && typeof (el as unknown as Record<string, unknown>)[k] !== 'function' && !k.startsWith('data-')) {
      (el as unknown as Record<string, unknown>)[k] = v;
    } else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

/** Replaces an element's children, skipping the absent ones as h() does. */
export function fill(el: Element, ...children: Child[]): void {
  el.replaceChildren(...children.filter((c): c is Node | string => c !== null && c !== undefined && c !== false));
}

export const $ = <T extends HTMLElement = HTMLElement>(sel: string, root: ParentNode = document) => root.querySelector(sel) as T;

export const usd = (n: number) => (n < 10 ? `$${n.toFixed(n < 0.1 && n > 0 ? 3 : 2)}` : `$${Math.round(n).toLocaleString('en-US')}`);
export const count = (n: number) => n.toLocaleString('en-US');
