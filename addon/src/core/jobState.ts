import { z } from 'zod';
import { FieldSchema } from '../../../shared/index.js';
import { InputColumnsSchema } from '../contract.js';

/**
 * What the add-on remembers of the user's job in a spreadsheet, in user
 * properties (9 KB a value): enough to resume the upload in a later
 * execution and to show the job when the sidebar is reopened.
 */
export const JobStateSchema = z.object({
  jobId: z.string(),
  spreadsheetId: z.string(),
  sheetId: z.number().int(),
  sheetName: z.string(),
  headerRow: z.number().int(),
  inputs: InputColumnsSchema,
  fields: z.array(FieldSchema),
  /** First and last sheet rows of the column at start; rows are keyed by their row number. */
  firstRow: z.number().int(),
  lastRow: z.number().int(),
  /** The next sheet row to upload; past lastRow once every row is with the API. */
  nextRow: z.number().int(),
  /** Non-empty rows handed over so far, and in all. */
  uploaded: z.number().int(),
  total: z.number().int(),
  startedAt: z.number(),
  cancelled: z.boolean().default(false),
  tokenSentAt: z.number().default(0),
});
export type JobState = z.infer<typeof JobStateSchema>;
