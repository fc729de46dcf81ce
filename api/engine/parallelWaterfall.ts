import type { Field } from '../../shared/index.js';
import type { Provider } from '../providers/types.js';
import { runWaterfall, verdict, type RowOutcome, type RowWork, type WaterfallDeps } from './waterfall.js';

/**
 * The providers that could supply any of `fields`, in groups that share no
 * field with each other: each group is a waterfall of alternatives (two
 * firmographic providers), and groups answer different questions (who the
 * company is, who the person is, whether the email delivers).
 */
export function independentGroups(providers: readonly Provider[], fields: readonly Field[]): Provider[][] {
  const wanted = providers.filter((p) => p.fields.some((f) => fields.includes(f)));
  const groups: Provider[][] = [];
  for (const p of wanted) {
    const linked = groups.filter((g) => g.some((q) => q.fields.some((f) => p.fields.includes(f))));
    const merged = [p, ...linked.flat()];
    for (const g of linked) groups.splice(groups.indexOf(g), 1);
    groups.push(merged);
  }
  return groups;
}

/** Which outcome stands for the row when its groups end differently: the one that stops it soonest wins. */
const RANK: Record<RowOutcome['kind'], number> = { cancelled: 3, budget_exhausted: 2, retry: 1, done: 0 };

/**
 * The row's waterfall with its independent groups run side by side: a
 * firmographic lookup and a contact lookup do not wait for each other. Every
 * group works on the same row state (each only asks its own providers, and
 * an answer applies every field it carries), so the checkpoint is the one a
 * straight waterfall keeps. The row is done when every group is; a retry
 * waits for the latest group's.
 */
export async function runIndependent(deps: WaterfallDeps, work: RowWork): Promise<RowOutcome> {
  const groups = independentGroups(deps.providers, work.fields);
  if (groups.length <= 1) return runWaterfall(deps, work);
  const outcomes = await Promise.all(groups.map((g) => runWaterfall(deps, work, new Set(deps.providers.filter((p) => !g.includes(p)).map((p) => p.id)))));
  const worst = outcomes.reduce((a, b) => (RANK[b.kind] > RANK[a.kind] || (a.kind === 'retry' && b.kind === 'retry' && b.at > a.at) ? b : a));
  return worst.kind === 'done' ? { kind: 'done', ...verdict(work.state, work.fields, deps.providers) } : worst;
}
