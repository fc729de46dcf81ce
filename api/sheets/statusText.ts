import { FIELDS, type Field, type RowResult } from '../../shared/index.js';

/**
 * What the status column says, short enough to read in a narrow column: the
 * status in words first (the conditional formatting keys on it), then only
 * what the reader acts on (the missing fields, why a row was flagged). Which
 * provider found what is left out: a provider's id is not a name the reader
 * knows, and the sidebar's Retry flagged says what can be retried. Written
 * RAW, so nothing in a message can become a formula.
 */
export function statusText(row: RowResult, fields: readonly Field[]): string {
  const err = row.error;
  switch (row.status) {
    case 'matched':
      return 'matched';
    case 'partial':
      return `partial · missing ${missingLabels(row, fields).join(', ')}`;
    case 'no_match':
      return 'no match';
    case 'failed':
      return `failed · ${err?.message ?? 'a provider failed'}`;
    case 'invalid_input':
      return `invalid input · ${err?.message ?? 'the input could not be read'}`;
    case 'budget_exhausted':
      return 'budget exhausted · cost cap reached';
    default:
      return row.status;
  }
}

const missingLabels = (row: RowResult, fields: readonly Field[]) => fields.filter((f) => row.values[f] === undefined).map((f) => FIELDS[f].label);

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
