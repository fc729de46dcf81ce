import { ConfigError, loadConfigFile } from './config/load.js';
import { runDemoJob } from './demo/runDemoJob.js';
import { createLog } from './log.js';
import { DEMO_KEY, startCascade } from './server.js';

const env = process.env;

async function main() {
  const loaded = env.CASCADE_CONFIG ? await loadConfigFile(env.CASCADE_CONFIG, env) : undefined;
  const log = createLog([...(loaded?.secrets ?? []), ...(env.CASCADE_BOOTSTRAP_KEY ? [env.CASCADE_BOOTSTRAP_KEY] : [])]);
  const port = Number(env.PORT ?? 8787);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`PORT: "${env.PORT}" is not a port number`);
  const cascade = await startCascade({
    config: loaded,
    dbUrl: env.CASCADE_DB ?? 'file:./data/cascade.db',
    dbAuthToken: env.CASCADE_DB_TOKEN,
    port,
    host: env.HOST ?? '127.0.0.1',
    bootstrapKey: env.CASCADE_BOOTSTRAP_KEY,
    log,
  });
  // Tests and scripts read this line to find the port.
  console.log(`cascade listening on ${cascade.url}`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await cascade.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  if (cascade.demo) {
    console.log(`embedded demo: simulated providers (labelled "demo") on loopback; API key for workspace "default": ${DEMO_KEY}`);
    if (env.CASCADE_DEMO_JOB !== '0') await runDemoJob(cascade.url, DEMO_KEY, (line) => console.log(line));
  }
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? `cascade: ${err.message}` : err);
  process.exit(1);
});
