import { eq } from 'drizzle-orm';
import type { Db } from '../db.js';
import { sheetTargets } from '../schema/index.js';
import type { SheetTargetRecord } from './types.js';

export async function findTarget(db: Db, jobId: string): Promise<SheetTargetRecord | undefined> {
  return db.select().from(sheetTargets).where(eq(sheetTargets.jobId, jobId)).get();
}
