import { parseArgs } from 'node:util';
import { formatReport, runFuzz } from './run.js';

/**
 * `npm run fuzz [-- [count] [--seed S] [--requests N] [--pairs P] [--max-shrinks M] [--path P]]`:
 * the long run. Defaults: 50,000 requests, a new random seed (printed, so a
 * run can be replayed), batches of 20 + 20. Env FUZZ_SEED and FUZZ_REQUESTS
 * work too. Exits non-zero on any 5xx, process death, failed follow-up read,
 * failed restart check, or fewer than half the requests adversarial.
 */
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    seed: { type: 'string' },
    requests: { type: 'string' },
    pairs: { type: 'string' },
    'max-shrinks': { type: 'string' },
    path: { type: 'string' },
    /** Comma-separated indices of the known cases (corpus.ts) to run first; default all, "none" for none. */
    corpus: { type: 'string' },
  },
});

const int = (name: string, raw: string | undefined, fallback: number) => {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) {
    console.error(`fuzz: ${name} "${raw}" is not an integer`);
    process.exit(2);
  }
  return n;
};

const seed = int('seed', values.seed ?? process.env.FUZZ_SEED, Math.floor(Math.random() * 2 ** 31));
const requests = int('requests', values.requests ?? positionals[0] ?? process.env.FUZZ_REQUESTS, 50_000);
const pairs = int('pairs', values.pairs, 20);
const maxShrinks = int('max-shrinks', values['max-shrinks'], 300);

console.log(
  `fuzz: seed ${seed}, ${requests} requests in batches of ${2 * pairs}, at most ${maxShrinks} shrink runs${values.path ? `, replaying path ${values.path}` : ''}`,
);
const started = Date.now();
const corpus = values.corpus === undefined ? undefined : values.corpus === 'none' ? [] : values.corpus.split(',').map((i) => int('corpus', i, 0));
const report = await runFuzz({ seed, requests, pairs, maxShrinks, path: values.path, corpus, log: (l) => console.log(l) });
console.log(formatReport(report));
console.log(`took ${Math.round((Date.now() - started) / 1000)} s`);
const ok = !report.failure && report.fiveXX === 0 && report.deaths === 0 && report.restart.problems.length === 0 && report.adversarial * 2 >= report.requests;
console.log(ok ? 'fuzz: OK' : 'fuzz: FAILED');
process.exit(ok ? 0 : 1);
