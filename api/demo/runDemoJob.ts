import type { JobView, Metrics, RowResult } from '../../shared/index.js';
import { readSampleLeads } from './readLeads.js';

const FIELDS = ['company.name', 'company.industry', 'company.employees', 'person.title', 'person.emailStatus'];

/** What `npm start` shows: the sample leads enriched through the API, progress, a few results and the provider figures. */
export async function runDemoJob(baseUrl: string, key: string, print: (line: string) => void): Promise<void> {
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const api = async <T>(path: string, init?: RequestInit): Promise<T> => {
    const res = await fetch(`${baseUrl}${path}`, { ...init, headers });
    if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  const rows = await readSampleLeads();
  const { id } = await api<{ id: string }>('/v1/jobs', { method: 'POST', body: JSON.stringify({ fields: FIELDS, rows }) });
  print(`demo job ${id}: ${rows.length} sample leads, fields ${FIELDS.join(', ')}`);
  let job: JobView;
  for (;;) {
    job = await api<JobView>(`/v1/jobs/${id}`);
    const c = job.counts;
    print(`  ${job.status.padEnd(9)} done ${c.total - c.pending - c.running}/${c.total}  matched ${c.matched}  partial ${c.partial}  no match ${c.no_match}  failed ${c.failed}  invalid ${c.invalid_input}  cost $${job.costUsd.toFixed(3)}`);
    if (job.status !== 'running') break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  const page = await api<{ rows: RowResult[] }>(`/v1/jobs/${id}/results?limit=6`);
  print('first rows:');
  for (const r of page.rows) {
    const values = Object.entries(r.values).map(([f, v]) => `${f}=${Array.isArray(v) ? v.join('|') : v}`);
    print(`  row ${r.key}: ${r.status}${r.error ? ` (${r.error.code}: ${r.error.message})` : ''} ${values.join('  ')}`);
  }
  const m = await api<Metrics>(`/v1/metrics?window=7d&jobId=${id}`);
  print('providers for this job (run `npm start` again: every answer comes from the cache, at $0):');
  for (const p of m.providers) {
    const rate = p.matchRate === null ? '-' : `${Math.round(p.matchRate * 100)}%`;
    print(`  ${p.label.padEnd(36)} calls ${String(p.calls).padStart(4)}  cache hits ${String(p.cacheHits).padStart(4)}  match ${rate.padStart(4)}  p95 ${p.p95Ms ?? '-'} ms  cost $${p.costUsd.toFixed(3)}  per match ${p.costPerMatch === null ? '-' : `$${p.costPerMatch.toFixed(3)}`}`);
  }
  print(`try: curl -H 'Authorization: Bearer ${key}' ${baseUrl}/v1/jobs/${id}/results?limit=5`);
  print('the API keeps running; Ctrl-C stops it.');
}
