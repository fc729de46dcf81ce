import { DomUtils } from 'htmlparser2';
import type { Page } from './page.js';

type Node = Record<string, unknown>;

const ORG_TYPES =
  /^(Organization|Corporation|Company|LocalBusiness|OnlineBusiness|OnlineStore|Store|NGO|EducationalOrganization|ProfessionalService|NewsMediaOrganization|SportsOrganization|MedicalOrganization|GovernmentOrganization|Airline|Brand)$/;

function* walk(value: unknown, depth = 0): Generator<Node> {
  if (depth > 6 || !value || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (const v of value) yield* walk(v, depth + 1);
    return;
  }
  const node = value as Node;
  yield node;
  if (node['@graph']) yield* walk(node['@graph'], depth + 1);
  for (const key of ['publisher', 'author', 'brand', 'parentOrganization', 'provider']) {
    if (node[key]) yield* walk(node[key], depth + 1);
  }
}

const typesOf = (n: Node) => (Array.isArray(n['@type']) ? n['@type'] : [n['@type']]).filter((t): t is string => typeof t === 'string');

/**
 * The page's JSON-LD Organization (or kind of one), as published by the
 * company itself. Blocks that are not valid JSON are skipped, as browsers do.
 */
export function organization(page: Page): Node | undefined {
  for (const el of page.elements) {
    if (el.name !== 'script' || el.attribs.type?.trim().toLowerCase() !== 'application/ld+json') continue;
    let data: unknown;
    try {
      data = JSON.parse(DomUtils.textContent(el));
    } catch {
      continue;
    }
    for (const node of walk(data)) {
      if (typesOf(node).some((t) => ORG_TYPES.test(t.replace(/^https?:\/\/schema\.org\//, '')))) return node;
    }
  }
  return undefined;
}

/** A JSON-LD value that may be a string, an object with url/contentUrl/@id, or a list of those. */
export function urlsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(urlsOf);
  if (value && typeof value === 'object') {
    const v = value as Node;
    return urlsOf(v.url ?? v.contentUrl ?? v['@id']);
  }
  return [];
}

export function textOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() || undefined;
  if (Array.isArray(value)) return textOf(value[0]);
  return undefined;
}

/** Contact details: the organization's own, then its contact points'. */
export function contacts(org: Node): { emails: string[]; phones: string[] } {
  const points = [org, ...(Array.isArray(org.contactPoint) ? org.contactPoint : org.contactPoint ? [org.contactPoint] : [])].filter(
    (p): p is Node => Boolean(p) && typeof p === 'object',
  );
  return {
    emails: points.map((p) => textOf(p.email)).filter((e): e is string => Boolean(e)),
    phones: points.map((p) => textOf(p.telephone)).filter((t): t is string => Boolean(t)),
  };
}
