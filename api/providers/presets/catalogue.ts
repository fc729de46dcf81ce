import apolloOrganizationEnrich from './apollo-organization-enrich.json' with { type: 'json' };
import apolloPersonMatch from './apollo-person-match.json' with { type: 'json' };
import hunterDomainSearch from './hunter-domain-search.json' with { type: 'json' };
import hunterEmailFinder from './hunter-email-finder.json' with { type: 'json' };
import hunterEmailVerifier from './hunter-email-verifier.json' with { type: 'json' };
import pdlCompanyEnrich from './pdl-company-enrich.json' with { type: 'json' };
import pdlPersonEnrich from './pdl-person-enrich.json' with { type: 'json' };

/**
 * A ready configuration for a paid API, on the `http` kind. `${var:name}` in
 * `provider` is replaced by the user's value or the var's default; the
 * figures (limits, costs) are the provider's documented ones and may be
 * overridden in the entry that uses the preset.
 */
export interface Preset {
  label: string;
  docs: string;
  notes: string;
  /** A `secret` var (the API key) may only be an environment reference, so keys never sit in the config file. */
  vars: Record<string, { description: string; default?: string; secret?: boolean }>;
  provider: Record<string, unknown>;
}

export const PRESETS: Record<string, Preset> = {
  'hunter-email-finder': hunterEmailFinder,
  'hunter-email-verifier': hunterEmailVerifier,
  'hunter-domain-search': hunterDomainSearch,
  'apollo-person-match': apolloPersonMatch,
  'apollo-organization-enrich': apolloOrganizationEnrich,
  'pdl-person-enrich': pdlPersonEnrich,
  'pdl-company-enrich': pdlCompanyEnrich,
};
