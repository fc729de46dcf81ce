import { PlanSchema, type EstimateView, type PlanInput } from '../contract.js';
import { evenSample } from '../core/batches.js';
import { enrichFieldsOf, leadFieldsOf } from '../core/leadFields.js';
import type { Ctx } from './context.js';
import { checkInputColumns, findSheet, readRows } from './sheet.js';
import { parseArgs } from './validate.js';

const money = (usd: number) => Math.round(usd * 100) / 100;

/**
 * Rows a job would enrich, how many are already cached and what the rest
 * would cost. A long column is priced from an even sample and scaled up,
 * so the estimate costs one request however many rows there are. Only
 * enrichment fields are priced: lead fields are made by the pipeline's
 * steps as they run, which no dry run can price (the view says so).
 */
export function estimatePlan(ctx: Ctx, raw: PlanInput): EstimateView {
  const plan = parseArgs(PlanSchema, raw);
  const sheet = findSheet(ctx.book, plan.sheetName);
  checkInputColumns(sheet, plan.inputs);
  const rows = readRows(sheet, plan.inputs, plan.headerRow + 1, sheet.getLastRow());
  const pipelineNotPriced = leadFieldsOf(plan.fields).length > 0;
  const fields = enrichFieldsOf(plan.fields);
  if (rows.length === 0) return { rows: 0, invalid: 0, cached: 0, expectedCostUsd: 0, maxCostUsd: 0, sampled: 0, pipelineNotPriced };
  // Lead fields only: nothing a provider would be asked for by the job itself.
  if (fields.length === 0) return { rows: rows.length, invalid: 0, cached: 0, expectedCostUsd: 0, maxCostUsd: 0, sampled: rows.length, pipelineNotPriced };
  const sample = evenSample(rows.length, ctx.limits.estimateSample).map((i) => rows[i]!.input);
  const res = ctx.api().call('estimate', { body: { fields, inputs: sample } });
  const scale = rows.length / sample.length;
  return {
    rows: rows.length,
    invalid: Math.round(res.invalid * scale),
    cached: Math.round(res.cached * scale),
    expectedCostUsd: money(res.expectedCostUsd * scale),
    maxCostUsd: money(res.maxCostUsd * scale),
    sampled: sample.length,
    pipelineNotPriced,
  };
}
