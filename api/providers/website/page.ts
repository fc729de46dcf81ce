import type { Element } from 'domhandler';
import { DomUtils, parseDocument } from 'htmlparser2';

/** A parsed home page, with the pieces the extractors read gathered in one walk. */
export interface Page {
  url: URL;
  elements: Element[];
  /** meta name/property (lowercased) → content, first one wins. */
  meta: Map<string, string>;
  title: string;
  headers: Headers;
}

export function parsePage(html: string, url: string, headers: Headers): Page {
  const doc = parseDocument(html, { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true });
  const elements = DomUtils.findAll(() => true, doc.children);
  const meta = new Map<string, string>();
  let title = '';
  for (const el of elements) {
    if (el.name === 'meta') {
      const key = (el.attribs.property ?? el.attribs.name ?? el.attribs.itemprop)?.trim().toLowerCase();
      const content = el.attribs.content?.trim();
      if (key && content && !meta.has(key)) meta.set(key, content);
    } else if (el.name === 'title' && !title) {
      title = DomUtils.textContent(el).replace(/\s+/g, ' ').trim();
    }
  }
  return { url: new URL(url), elements, meta, title, headers };
}

/** The charset a page declares in <meta charset> or http-equiv, if any. */
export function declaredCharset(html: string): string | undefined {
  const doc = parseDocument(html.slice(0, 4096), { lowerCaseTags: true, lowerCaseAttributeNames: true });
  for (const el of DomUtils.getElementsByTagName('meta', doc.children)) {
    if (el.attribs.charset) return el.attribs.charset.trim().toLowerCase();
    if (el.attribs['http-equiv']?.toLowerCase() === 'content-type') {
      const m = /charset=([\w-]+)/i.exec(el.attribs.content ?? '');
      if (m) return m[1]!.toLowerCase();
    }
  }
  return undefined;
}

const MAX_URL = 2048;

/** An absolute http(s) URL for an href or src on the page, or undefined. */
export function absoluteUrl(page: Page, href: string | undefined): string | undefined {
  if (!href) return undefined;
  try {
    const u = new URL(href.trim(), page.url);
    // A cell holds a link people can use, not whatever a page puts in a data: URI or a tracking blob.
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.href.length <= MAX_URL ? u.href : undefined;
  } catch {
    return undefined;
  }
}
