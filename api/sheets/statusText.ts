import { FIELDS, RETRYABLE, type Field, type RowResult } from '../../shared/index.js';

/**
 * What the status column says. Each text starts with the status in words,
 * which the conditional formatting keys on; the rest is for the person
 * reading the sheet. Written RAW, so nothing in a message can become a formula.
 */
export function statusText(row: RowResult, fields: readonly Field[]): string {
  const by = [...new Set(Object.values(row.sources))].join(', ');
  const err = row.error;
  const retry = err ? (RETRYABLE[err.code] ? ' · retryable' : ' · not retryable') : '';
  switch (row.status) {
    case 'matched':
      return `matched · by ${by}`;
    case 'partial': {
      const missing = fields.filter((f) => row.values[f] === undefined).map((f) => FIELDS[f].label);
      return `partial · by ${by} · missing ${missing.join(', ')}`;
    }
    case 'no_match':
      return 'no match';
    case 'failed':
      return `failed · ${err?.message ?? 'a provider failed'}${retry || ' · retryable'}`;
    case 'invalid_input':
      return `invalid input · ${err?.message ?? 'the input could not be read'}`;
    case 'budget_exhausted':
      return `budget exhausted · the job's cost cap was reached${retry || ' · retryable'}`;
    default:
      return row.status;
  }
}

const rgb = (red: number, green: number, blue: number) => ({ red, green, blue });

/** Status prefixes and their fills; flagged rows (failed, invalid, budget) stand out. */
export const STATUS_COLOURS: [string, ReturnType<typeof rgb>][] = [
  ['failed', rgb(0.96, 0.78, 0.76)],
  ['invalid input', rgb(0.99, 0.85, 0.7)],
  ['budget exhausted', rgb(1, 0.95, 0.7)],
  ['matched', rgb(0.85, 0.94, 0.83)],
];

/** Conditional format rules for the status column, below the header row. */
export function statusFormatRequests(sheetId: number, headerRow: number, col: number) {
  return STATUS_COLOURS.map(([prefix, colour], index) => ({
    addConditionalFormatRule: {
      index,
      rule: {
        ranges: [{ sheetId, startRowIndex: headerRow, startColumnIndex: col, endColumnIndex: col + 1 }],
        booleanRule: { condition: { type: 'TEXT_STARTS_WITH', values: [{ userEnteredValue: prefix }] }, format: { backgroundColor: colour } },
      },
    },
  }));
}
