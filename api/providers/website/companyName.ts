// Title segments that name the page, not the company.
const GENERIC = /^(home|homepage|home page|welcome|startseite|accueil|inicio|start|official site|official website)$/i;
const SEPARATORS = /\s+[|–—·•:»-]\s+|\s*\|\s*/;

const squash = (s: string) =>
  s
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]/g, '');

/**
 * The company's name from a page title such as "Acme | Widgets for teams" or
 * "Home - Acme GmbH": the segment that looks like the domain's name, else
 * the first one that is not a generic word like "Home".
 */
export function nameFromTitle(title: string, domain: string): string | undefined {
  const segments = title
    .split(SEPARATORS)
    .map((s) => s.trim())
    .filter((s) => s && !GENERIC.test(s));
  if (segments.length === 0) return undefined;
  const label = squash(domain.split('.')[0] ?? '');
  const like = label && segments.find((s) => squash(s).includes(label) || (squash(s).length >= 3 && label.includes(squash(s))));
  const name = like || segments[0]!;
  return name.length <= 120 ? name : undefined;
}
