import { DomUtils } from 'htmlparser2';
import { absoluteUrl, type Page } from './page.js';
import { TECH_SIGNATURES, type TechSignature } from './techSignatures.js';

const INLINE_BUDGET = 256 * 1024;
const HEADERS = ['server', 'x-powered-by', 'x-generator', 'x-shopid', 'x-shopify-stage', 'x-vercel-id', 'x-nf-request-id'];

type Evidence = Record<'src' | 'href' | 'inline' | 'generator' | 'attr' | 'header', string[]>;

function collect(page: Page): Evidence {
  const e: Evidence = { src: [], href: [], inline: [], generator: [], attr: [], header: [] };
  let inlineLeft = INLINE_BUDGET;
  for (const el of page.elements) {
    const a = el.attribs;
    if ((el.name === 'script' || el.name === 'iframe') && a.src) e.src.push(absoluteUrl(page, a.src) ?? a.src);
    else if (el.name === 'script' && inlineLeft > 0 && !a.type?.includes('json')) {
      const text = DomUtils.textContent(el).slice(0, inlineLeft);
      inlineLeft -= text.length;
      if (text.trim()) e.inline.push(text);
    }
    if (el.name === 'link' && a.href) e.href.push(absoluteUrl(page, a.href) ?? a.href);
    if (el.name === 'a' && a.href) e.href.push(a.href);
    if (el.name === 'form' && a.action) e.href.push(a.action);
    for (const name of Object.keys(a)) {
      if (name.startsWith('data-') || name.startsWith('ng-')) e.attr.push(name);
    }
    if (a.id) e.attr.push(`id:${a.id}`);
    for (const cls of a.class?.split(/\s+/) ?? []) if (cls.startsWith('svelte-')) e.attr.push(`class:${cls}`);
  }
  const generator = page.meta.get('generator');
  if (generator) e.generator.push(generator);
  for (const h of HEADERS) {
    const v = page.headers.get(h);
    if (v !== null) e.header.push(`${h}: ${v}`);
  }
  return e;
}

const matches = (sig: TechSignature, e: Evidence) =>
  (['src', 'href', 'inline', 'generator', 'attr', 'header'] as const).some((k) => {
    const re = sig[k];
    return re !== undefined && e[k].some((s) => re.test(s));
  });

/** Technologies the page shows signs of, in catalogue order. */
export function detectTech(page: Page): string[] {
  const evidence = collect(page);
  return TECH_SIGNATURES.filter((sig) => matches(sig, evidence)).map((sig) => sig.name);
}
