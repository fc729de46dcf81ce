import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the fake APIs answer next: a match, a no-match, a 429, a refused key, or a provider-specific status. */
export type Mode = 'match' | 'none' | '429' | 'auth' | 'hunter-403' | 'hunter-202' | 'apollo-quota-used';

export interface PaidApis {
  url: string;
  mode: Mode;
  /** Per email: answer 202 this many times before the real answer (Hunter's "still verifying"). */
  pendingFor: Map<string, number>;
  requests: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[];
  close(): Promise<void>;
}

const KEYS = { hunter: 'hunter-secret-key', apollo: 'apollo-secret-key', pdl: 'pdl-secret-key' };

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
};

const apolloQuota = (left: number) => ({
  'x-rate-limit-minute': '50',
  'x-minute-requests-left': String(left),
  'x-minute-usage': String(50 - left),
  'x-rate-limit-hourly': '200',
  'x-hourly-requests-left': '150',
  'x-rate-limit-daily': '600',
  'x-daily-requests-left': '550',
});

/**
 * Hunter, Apollo and People Data Labs on 127.0.0.1, answering with the
 * shapes, statuses and headers their documentation gives for each case.
 */
export async function startPaidApis(): Promise<PaidApis> {
  const state: PaidApis = { url: '', mode: 'match', pendingFor: new Map(), requests: [], close: async () => {} };

  function hunter(url: URL, req: IncomingMessage, res: ServerResponse) {
    if (req.headers['x-api-key'] !== KEYS.hunter || state.mode === 'auth') {
      return json(res, 401, { errors: [{ id: 'authentication_failed', code: 401, details: 'No user found for the API key supplied' }] });
    }
    if (state.mode === '429')
      return json(res, 429, { errors: [{ id: 'too_many_requests', code: 429, details: "You've reached your usage limit for this month" }] });
    if (state.mode === 'hunter-403') return json(res, 403, { errors: [{ id: 'too_many_requests', code: 403, details: 'Too many calls per second' }] });
    if (state.mode === 'hunter-202') return json(res, 202, { data: null, meta: { message: 'still processing' } });
    const email = url.searchParams.get('email') ?? '';
    const pending = state.pendingFor.get(email) ?? 0;
    if (pending > 0) {
      state.pendingFor.set(email, pending - 1);
      return json(res, 202, { data: null }, { 'retry-after': '0.2' });
    }
    const none = state.mode === 'none';
    switch (url.pathname) {
      case '/v2/email-finder':
        return json(res, 200, {
          data: {
            first_name: url.searchParams.get('first_name'),
            last_name: url.searchParams.get('last_name'),
            email: none ? null : 'jane.doe@acme.test',
            score: none ? null : 94,
            domain: url.searchParams.get('domain'),
            accept_all: false,
            position: none ? null : 'CTO',
            twitter: null,
            linkedin_url: none ? null : 'https://www.linkedin.com/in/janedoe',
            phone_number: null,
            company: none ? null : 'Acme Analytics',
            sources: [],
            verification: { date: none ? null : '2026-11-01', status: none ? null : 'valid' },
          },
          meta: { params: Object.fromEntries(url.searchParams) },
        });
      case '/v2/email-verifier':
        if (none)
          return json(res, 451, { errors: [{ id: 'claimed_email', code: 451, details: 'The person behind this email has asked us to stop processing it' }] });
        return json(res, 200, {
          data: {
            status: 'valid',
            result: 'deliverable',
            score: 100,
            email,
            regexp: true,
            gibberish: false,
            disposable: false,
            webmail: false,
            mx_records: true,
            smtp_server: true,
            smtp_check: true,
            accept_all: false,
            block: false,
            sources: [],
          },
          meta: { params: { email } },
        });
      case '/v2/domain-search':
        return json(res, 200, {
          data: {
            domain: url.searchParams.get('domain'),
            disposable: false,
            webmail: false,
            accept_all: true,
            pattern: none ? null : '{first}.{last}',
            organization: none ? null : 'Acme Analytics',
            description: none ? null : 'Product analytics for B2B teams',
            industry: none ? null : 'Software',
            twitter: none ? null : 'https://twitter.com/acmeanalytics',
            facebook: null,
            linkedin: none ? null : 'https://www.linkedin.com/company/acme-analytics',
            technologies: none ? [] : ['hubspot', 'wordpress'],
            country: none ? null : 'US',
            city: none ? null : 'San Francisco',
            headcount: none ? null : '51-200',
            emails: [],
          },
          meta: { results: 0 },
        });
    }
    json(res, 404, { errors: [{ id: 'route_not_found', code: 404 }] });
  }

  function apollo(url: URL, req: IncomingMessage, res: ServerResponse) {
    if (req.headers['x-api-key'] !== KEYS.apollo || state.mode === 'auth') return json(res, 401, { error: 'Invalid access credentials.' });
    if (state.mode === '429') {
      return json(
        res,
        429,
        { message: 'The maximum number of api calls allowed for api/v1/people/match is 50 times per minute. Please upgrade your plan.' },
        apolloQuota(0),
      );
    }
    const none = state.mode === 'none';
    const headers = apolloQuota(state.mode === 'apollo-quota-used' ? 0 : 45);
    if (url.pathname === '/api/v1/people/match') {
      return json(
        res,
        200,
        none
          ? { person: null }
          : {
              person: {
                id: '5f2a',
                first_name: 'Jane',
                last_name: 'Doe',
                name: 'Jane Doe',
                linkedin_url: 'http://www.linkedin.com/in/janedoe',
                title: 'Chief Technology Officer',
                email_status: 'verified',
                headline: 'CTO at Acme',
                city: 'San Francisco',
                country: 'United States',
                departments: ['c_suite', 'master_engineering_technical'],
                seniority: 'c_suite',
                organization: { id: '54a1', name: 'Acme Analytics', website_url: 'http://www.acme.test', primary_domain: 'acme.test' },
                employment_history: [],
              },
            },
        headers,
      );
    }
    if (url.pathname === '/api/v1/organizations/enrich') {
      return json(
        res,
        200,
        none
          ? {}
          : {
              organization: {
                id: '54a1',
                name: 'Acme Analytics',
                website_url: 'http://www.acme.test',
                linkedin_url: 'http://www.linkedin.com/company/acme-analytics',
                twitter_url: 'https://twitter.com/acmeanalytics',
                facebook_url: null,
                phone: '+1 415-555-0100',
                founded_year: 2015,
                logo_url: 'https://zenprospect-production.s3.amazonaws.com/uploads/pictures/acme.png',
                primary_domain: 'acme.test',
                industry: 'information technology & services',
                estimated_num_employees: 120,
                annual_revenue: 12_000_000,
                city: 'San Francisco',
                country: 'United States',
                short_description: 'Product analytics for B2B teams.',
                technology_names: ['Google Analytics', 'HubSpot'],
              },
            },
        headers,
      );
    }
    json(res, 404, { error: 'not found' });
  }

  function pdl(url: URL, req: IncomingMessage, res: ServerResponse) {
    if (req.headers['x-api-key'] !== KEYS.pdl || state.mode === 'auth') {
      return json(res, 401, { status: 401, error: { type: 'authentication_error', message: 'Invalid api key' } });
    }
    if (state.mode === '429') {
      return json(
        res,
        429,
        { status: 429, error: { type: 'rate_limit_error', message: 'An error occurred due to requests hitting the API too quick' } },
        { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '2', 'x-ratelimit-limit': '100' },
      );
    }
    if (state.mode === 'none') return json(res, 404, { status: 404, error: { type: 'not_found', message: 'No records were found matching your request' } });
    if (url.pathname === '/v5/person/enrich') {
      return json(res, 200, {
        status: 200,
        likelihood: 9,
        data: {
          full_name: 'Jane Doe',
          first_name: 'Jane',
          last_name: 'Doe',
          job_title: 'Chief Technology Officer',
          job_title_levels: ['cxo'],
          job_title_role: 'engineering',
          linkedin_url: 'linkedin.com/in/janedoe',
          location_name: 'San Francisco, California, United States',
          location_country: 'United States',
          job_company_name: 'Acme Analytics',
          job_company_website: 'acme.test',
        },
      });
    }
    if (url.pathname === '/v5/company/enrich') {
      return json(res, 200, {
        status: 200,
        name: 'acme analytics',
        display_name: 'Acme Analytics',
        size: '51-200',
        employee_count: 120,
        founded: 2015,
        industry: 'Computer Software',
        location: { name: 'san francisco, california, united states', locality: 'San Francisco', region: 'California', country: 'United States' },
        linkedin_url: 'linkedin.com/company/acme-analytics',
        twitter_url: 'twitter.com/acmeanalytics',
        facebook_url: null,
        website: 'acme.test',
        summary: 'Product analytics for B2B teams.',
        likelihood: 8,
      });
    }
    json(res, 404, { status: 404, error: { type: 'not_found', message: 'unknown endpoint' } });
  }

  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      state.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const url = new URL(req.url ?? '/', 'http://apis');
      const [, api, ...rest] = url.pathname.split('/');
      const inner = new URL(`/${rest.join('/')}${url.search}`, 'http://apis');
      if (api === 'hunter') return hunter(inner, req, res);
      if (api === 'apollo') return apollo(inner, req, res);
      if (api === 'pdl') return pdl(inner, req, res);
      json(res, 404, {});
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}

export const PAID_KEYS = KEYS;
