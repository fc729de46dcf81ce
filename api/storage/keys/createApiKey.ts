import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../db.js';
import { apiKeys, workspaces } from '../schema/index.js';

export const hashKey = (key: string) => createHash('sha256').update(key).digest('hex');

/** Stores a key's hash for a workspace (created if new). Given no key, makes a random one; returns it, the only time it is seen. */
export async function createApiKey(db: Db, workspaceId: string, now: number, key = `csk_${randomBytes(32).toString('base64url')}`): Promise<string> {
  await db.batch([
    db.insert(workspaces).values({ id: workspaceId, createdAt: now }).onConflictDoNothing(),
    db.insert(apiKeys).values({ hash: hashKey(key), workspaceId, prefix: key.slice(0, 8), createdAt: now }).onConflictDoNothing(),
  ]);
  return key;
}
