import { eq } from 'drizzle-orm';
import type { Db } from '../db.js';
import { sheetTargets, type SheetLayout } from '../schema/index.js';

/** The resolved columns and grid size; null makes the writer place the columns again (the sheet changed shape). */
export async function saveLayout(db: Db, jobId: string, layout: SheetLayout | null): Promise<void> {
  await db.update(sheetTargets).set({ layout }).where(eq(sheetTargets.jobId, jobId));
}
