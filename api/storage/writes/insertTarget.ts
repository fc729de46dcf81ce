import type { Db } from '../db.js';
import { sheetTargets } from '../schema/index.js';
import type { NewSheetTarget } from './types.js';

export async function insertTarget(db: Db, target: NewSheetTarget): Promise<void> {
  await db.insert(sheetTargets).values(target);
}
