import { createHash, randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Db } from './db.js';
import { apiKeys, workspaces } from './schema/index.js';

/** The keys aggregate: workspaces and the API keys that open them. Only a key's SHA-256 is stored. */
export interface KeysStore {
  /** Stores a key's hash for a workspace (created if new). Given no key, makes a random one; returns it, the only time it is seen. */
  create(workspaceId: string, now: number, key?: string): Promise<string>;
  /** The workspace this key opens; undefined for a key never issued. */
  workspaceOf(key: string): Promise<string | undefined>;
}

const hashKey = (key: string) => createHash('sha256').update(key).digest('hex');

export function keysStore(db: Db): KeysStore {
  return {
    async create(workspaceId, now, key = `csk_${randomBytes(32).toString('base64url')}`) {
      await db.batch([
        db.insert(workspaces).values({ id: workspaceId, createdAt: now }).onConflictDoNothing(),
        db.insert(apiKeys).values({ hash: hashKey(key), workspaceId, prefix: key.slice(0, 8), createdAt: now }).onConflictDoNothing(),
      ]);
      return key;
    },
    async workspaceOf(key) {
      const row = await db.select({ ws: apiKeys.workspaceId }).from(apiKeys).where(eq(apiKeys.hash, hashKey(key))).get();
      return row?.ws;
    },
  };
}
