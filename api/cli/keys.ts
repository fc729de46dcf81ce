import { keysStore } from '../storage/keys.js';
import { openDatabase } from '../storage/db.js';

/** `npm run keys -- create <workspace>`: prints a new API key for the workspace. The key is shown this once; only its hash is kept. */
async function main(argv: string[]) {
  const [command, workspace] = argv;
  if (command !== 'create' || !workspace || !/^[A-Za-z0-9_.-]{1,64}$/.test(workspace)) {
    console.error('usage: npm run keys -- create <workspace>   (workspace: letters, digits, . _ -)');
    process.exit(2);
  }
  const database = await openDatabase(process.env.CASCADE_DB ?? 'file:./data/cascade.db', { authToken: process.env.CASCADE_DB_TOKEN });
  const key = await keysStore(database.db).create(workspace, Date.now());
  await database.close();
  console.log(key);
}

void main(process.argv.slice(2));
