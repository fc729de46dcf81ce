import type { Field } from '../../../shared/index.js';

type SocialField = Extract<Field, 'company.linkedinUrl' | 'company.twitterUrl' | 'company.facebookUrl' | 'company.githubUrl'>;

// First path segments that are the network's own pages (share buttons, login…), not a company's profile.
const TWITTER_RESERVED = new Set(['share', 'intent', 'home', 'hashtag', 'i', 'search', 'login', 'signup', 'privacy', 'tos', 'explore', 'settings']);
const FACEBOOK_RESERVED = new Set([
  'sharer',
  'sharer.php',
  'share',
  'share.php',
  'dialog',
  'plugins',
  'tr',
  'login',
  'login.php',
  'policies',
  'privacy',
  'help',
  'events',
  'groups',
  'watch',
]);
const GITHUB_RESERVED = new Set([
  'features',
  'pricing',
  'login',
  'join',
  'about',
  'site',
  'topics',
  'marketplace',
  'sponsors',
  'orgs',
  'apps',
  'security',
  'enterprise',
  'collections',
  'explore',
]);

const host = (u: URL) => u.hostname.toLowerCase().replace(/^(www|m|mobile)\./, '');

/** The company profile a link points to, in one canonical form per network, or undefined for anything else. */
export function socialProfile(href: string): [SocialField, string] | undefined {
  let u: URL;
  try {
    u = new URL(href);
  } catch {
    return undefined;
  }
  let parts: string[];
  try {
    parts = u.pathname
      .split('/')
      .filter(Boolean)
      .map((p) => decodeURIComponent(p));
  } catch {
    return undefined;
  }
  const [first, second] = parts;
  if (!first) return undefined;
  switch (host(u)) {
    case 'linkedin.com':
      return ['company', 'school', 'showcase'].includes(first) && second && /^[\w.%-]{1,100}$/.test(second)
        ? ['company.linkedinUrl', `https://www.linkedin.com/${first}/${second.toLowerCase()}`]
        : undefined;
    case 'twitter.com':
    case 'x.com':
      return /^\w{1,15}$/.test(first) && !TWITTER_RESERVED.has(first.toLowerCase()) ? ['company.twitterUrl', `https://x.com/${first}`] : undefined;
    case 'facebook.com':
    case 'fb.com':
      return /^[\w.-]{2,80}$/.test(first) && !FACEBOOK_RESERVED.has(first.toLowerCase())
        ? ['company.facebookUrl', `https://www.facebook.com/${first}`]
        : undefined;
    case 'github.com':
      return /^[A-Za-z0-9-]{1,39}$/.test(first) && !GITHUB_RESERVED.has(first.toLowerCase()) ? ['company.githubUrl', `https://github.com/${first}`] : undefined;
    default:
      return undefined;
  }
}
