import { FIELDS, type EnrichField, type EnrichResult, type RowInput } from '../../../shared/index.js';
import { AddonError } from '../core/apiErrors.js';
import { cellToInput, cellValue } from '../core/cellInput.js';
import { isEnrichField } from '../core/leadFields.js';
import type { Ctx } from './context.js';

type Cell = string | number | boolean;

/** Cache keys must stay under 250 characters; a longer input is simply not cached. */
const MAX_KEY = 250;

/** What a cell shows for one lookup: the value, empty for a settled no-match, or an error that says why. */
function answer(res: EnrichResult, field: EnrichField): Cell {
  const v = res.values[field];
  if (v !== undefined) return cellValue(v);
  if (res.error) throw new AddonError(`Cascade: ${res.error.message}`);
  if (res.status === 'failed' || res.status === 'invalid_input') throw new AddonError(`Cascade: ${res.status.replace('_', ' ')}`);
  return '';
}

/**
 * `=CASCADE(A2, "company.name")`: one real-time lookup through the API's
 * cache and waterfall with a short deadline. Answers are kept in the user
 * cache for hours, so a sheet recalculating does not spend the daily
 * UrlFetch quota again. A range input (A2:A50) is looked up in parallel and
 * answered as a column; there a failed row shows `#ERROR: why` as text,
 * since one cell of a range cannot be an error on its own.
 */
export function cascadeLookup(ctx: Ctx, input: unknown, field: unknown, kind?: unknown): Cell | Cell[][] {
  if (typeof field !== 'string' || !(field in FIELDS)) {
    throw new AddonError(`Cascade: "${String(field)}" is not a field; use one like "company.name" or "person.title".`);
  }
  // Lead fields are made by the pipeline's steps for a sheet job's rows, never looked up one cell at a time.
  if (!isEnrichField(field)) {
    throw new AddonError(`Cascade: "${field}" is made by the lead pipeline, not looked up; tick it under Qualify in the sidebar instead.`);
  }
  const f = field;
  if (!Array.isArray(input)) {
    const [only] = lookupMany(ctx, [input], f, kind);
    if (only instanceof AddonError) throw only;
    return only!;
  }
  const cells = (input as unknown[][]).map((row) => row[0]);
  if (cells.length > ctx.limits.lookupMaxRows) {
    throw new AddonError(`Cascade: at most ${ctx.limits.lookupMaxRows} rows per formula; enrich longer columns from the sidebar.`);
  }
  return lookupMany(ctx, cells, f, kind).map((r) => [r instanceof AddonError ? `#ERROR: ${r.message.replace(/^Cascade: /, '')}` : r]);
}

function lookupMany(ctx: Ctx, cells: unknown[], field: EnrichField, kind: unknown): (Cell | AddonError)[] {
  const inputs = cells.map((c) => (c === '' || c === null || c === undefined ? null : cellToInput(c, kind)));
  const keys = inputs.map((i) => (i?.ok ? `cascade1|${field}|${JSON.stringify(i.input)}` : ''));
  const cache = ctx.gas.CacheService.getUserCache();
  const cached = cache ? cache.getAll(keys.filter((k) => k && k.length <= MAX_KEY)) : {};
  const out: (Cell | AddonError | undefined)[] = inputs.map((i, n) => {
    if (i === null) return '';
    if (!i.ok) return new AddonError(`Cascade: ${i.message}`);
    const hit = cached[keys[n]!];
    return hit === undefined ? undefined : (JSON.parse(hit) as Cell);
  });
  const todo = out.flatMap((v, n) => (v === undefined ? [n] : []));
  if (todo.length === 0) return out as (Cell | AddonError)[];
  const requests = todo.map((n) => ({ body: { input: (inputs[n] as { input: RowInput }).input, fields: [field], deadlineMs: ctx.limits.lookupDeadlineMs } }));
  const results = ctx.api().callAll('enrich', requests);
  const fresh: Record<string, string> = {};
  results.forEach((res, i) => {
    const n = todo[i]!;
    if (res instanceof AddonError) {
      out[n] = res;
      return;
    }
    try {
      const value = answer(res, field);
      out[n] = value;
      // A deadline answer may fill in on the next try; only settled answers are kept.
      if (!res.error && keys[n]!.length <= MAX_KEY) fresh[keys[n]!] = JSON.stringify(value);
    } catch (err) {
      out[n] = err as AddonError;
    }
  });
  if (cache && Object.keys(fresh).length > 0 && ctx.limits.lookupCacheSeconds > 0) cache.putAll(fresh, ctx.limits.lookupCacheSeconds);
  return out as (Cell | AddonError)[];
}
