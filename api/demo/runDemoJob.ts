import type { Field, JobView } from '../../shared/index.js';
import { parseResponse } from 'hono/client';
import { cascadeClient } from '../http/client.js';
import { readSampleLeads } from './readLeads.js';

// The lead fields run each sample lead through the demo workspace's pipeline: scored, judged by the demo model, routed.
const FIELDS: Field[] = [
  'company.name',
  'company.industry',
  'company.employees',
  'person.title',
  'person.emailStatus',
  'lead.score',
  'lead.qualified',
  'lead.owner',
];

/** What `npm start` shows: the sample leads enriched through the API, progress, a few results and the provider figures. */
export async function runDemoJob(baseUrl: string, key: string, print: (line: string) => void): Promise<void> {
  const api = cascadeClient(baseUrl, key);
  const rows = await readSampleLeads();
  const { id } = await parseResponse(api.v1.jobs.$post({ json: { fields: FIELDS, rows }, header: {} }));
  print(`demo job ${id}: ${rows.length} sample leads, fields ${FIELDS.join(', ')}`);
  let job: JobView;
  for (;;) {
    job = await parseResponse(api.v1.jobs[':id'].$get({ param: { id } }));
    const c = job.counts;
    print(
      `  ${job.status.padEnd(9)} done ${c.total - c.pending - c.running}/${c.total}  matched ${c.matched}  partial ${c.partial}  no match ${c.no_match}  failed ${c.failed}  invalid ${c.invalid_input}  cost $${job.costUsd.toFixed(3)}`,
    );
    if (job.status !== 'running') break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  const page = await parseResponse(api.v1.jobs[':id'].results.$get({ param: { id }, query: { limit: '6' } }));
  print('first rows:');
  for (const r of page.rows) {
    const values = Object.entries(r.values).map(([f, v]) => `${f}=${Array.isArray(v) ? v.join('|') : v}`);
    print(`  row ${r.key}: ${r.status}${r.error ? ` (${r.error.code}: ${r.error.message})` : ''} ${values.join('  ')}`);
  }
  const m = await parseResponse(api.v1.metrics.$get({ query: { window: '7d', jobId: id } }));
  print('providers for this job (run `npm start` again: every answer comes from the cache, at $0):');
  for (const p of m.providers) {
    const rate = p.matchRate === null ? '-' : `${Math.round(p.matchRate * 100)}%`;
    print(
      `  ${p.label.padEnd(36)} calls ${String(p.calls).padStart(4)}  cache hits ${String(p.cacheHits).padStart(4)}  match ${rate.padStart(4)}  p95 ${p.p95Ms ?? '-'} ms  cost $${p.costUsd.toFixed(3)}  per match ${p.costPerMatch === null ? '-' : `$${p.costPerMatch.toFixed(3)}`}`,
    );
  }
  print(`try: curl -H 'Authorization: Bearer ${key}' ${baseUrl}/v1/jobs/${id}/results?limit=5`);
  print('the API keeps running; Ctrl-C stops it.');
}
