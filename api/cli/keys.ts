import { KEY_CACHE_TTL_MS, keysStore, type KeyListing } from '../storage/keys.js';
import { openDatabase } from '../storage/db.js';

const USAGE = `usage: npm run keys -- create <workspace>   (workspace: letters, digits, . _ -)
       npm run keys -- list [prefix]
       npm run keys -- revoke <prefix | key>`;

const line = (k: KeyListing) => `${k.prefix}…  ${k.workspaceId}  ${new Date(k.createdAt).toISOString()}`;

/**
 * `npm run keys -- create <workspace>`: prints a new API key for the workspace. The key is shown this once; only its hash is kept.
 * `list [prefix]`: the keys' prefixes, workspaces and creation times. `revoke <prefix | key>`: deletes one key; a
 * prefix naming several revokes none and lists them. A running server refuses a revoked key within KEY_CACHE_TTL_MS.
 */
async function main(argv: string[]) {
  const [command, arg] = argv;
  const valid =
    (command === 'create' && arg && /^[A-Za-z0-9_.-]{1,64}$/.test(arg)) || (command === 'list' && argv.length <= 2) || (command === 'revoke' && arg);
  if (!valid) {
    console.error(USAGE);
    process.exit(2);
  }
  const database = await openDatabase(process.env.CASCADE_DB ?? 'file:./data/cascade.db', { authToken: process.env.CASCADE_DB_TOKEN });
  const keys = keysStore(database.db);
  try {
    if (command === 'create') console.log(await keys.create(arg!, Date.now()));
    else if (command === 'list') for (const k of await keys.list(arg)) console.log(line(k));
    else {
      const { revoked, ambiguous } = await keys.revoke(arg!);
      if (revoked) console.log(`revoked ${line(revoked)}; running servers refuse it within ${KEY_CACHE_TTL_MS / 1000} s`);
      else {
        console.error(
          ambiguous.length === 0
            ? 'no key has that prefix'
            : `that prefix names ${ambiguous.length} keys; give the whole key:\n${ambiguous.map(line).join('\n')}`,
        );
        process.exitCode = 1;
      }
    }
  } finally {
    await database.close();
  }
}

void main(process.argv.slice(2));
