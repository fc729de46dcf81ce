import { eq } from 'drizzle-orm';
import type { Db } from '../db.js';
import { apiKeys } from '../schema/index.js';
import { hashKey } from './createApiKey.js';

export async function findWorkspaceByKey(db: Db, key: string): Promise<string | undefined> {
  const row = await db.select({ ws: apiKeys.workspaceId }).from(apiKeys).where(eq(apiKeys.hash, hashKey(key))).get();
  return row?.ws;
}
