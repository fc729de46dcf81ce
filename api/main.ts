import { ConfigError, loadConfigFile } from './config/load.js';
import { runDemoJob } from './demo/runDemoJob.js';
import { DEMO_KEY, startDemo } from './demo/startDemo.js';
import { parseEnv } from './env.js';
import { createLog } from './log.js';
import { webhookFormat } from './notify/webhook.js';
import { startCascade } from './server.js';
import { sheetsOptionsFromEnv } from './sheets/options.js';

/** `npm start`: the API on the configured providers, or, without CASCADE_CONFIG, the embedded demo and its job. */
async function main() {
  const env = parseEnv(process.env);
  const loaded = env.CASCADE_CONFIG ? await loadConfigFile(env.CASCADE_CONFIG, process.env) : undefined;
  const webhookUrl = env.CASCADE_ALERT_WEBHOOK_URL;
  // The secrets the environment holds, as they were given (the token key's base64 too, though nothing logs it).
  const given = [env.CASCADE_BOOTSTRAP_KEY, webhookUrl, process.env.CASCADE_TOKEN_KEY].filter((s): s is string => Boolean(s));
  const log = createLog([...(loaded?.secrets ?? []), ...given]);
  const options = {
    dbUrl: env.CASCADE_DB,
    dbAuthToken: env.CASCADE_DB_TOKEN,
    port: env.PORT,
    host: env.HOST,
    log,
    sheets: sheetsOptionsFromEnv(env),
    metricsToken: env.CASCADE_METRICS_TOKEN,
    cluster: { key: env.CASCADE_TOKEN_KEY, url: env.CASCADE_CLUSTER_URL },
    processMetrics: true,
    alerts: {
      webhook: webhookUrl ? { url: webhookUrl, format: webhookFormat(webhookUrl, env.CASCADE_ALERT_WEBHOOK_FORMAT) } : undefined,
      checkEveryMs: env.CASCADE_ALERT_CHECK_MS,
    },
  };
  const cascade = loaded ? await startCascade({ ...options, config: loaded, bootstrapKey: env.CASCADE_BOOTSTRAP_KEY }) : await startDemo(options);
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
  // Started by a supervisor with an IPC channel (`npm run cluster`, the tests): the channel closes when it dies, even by
  // kill -9, and an instance it left behind would go on claiming rows from its database (or from a new one on a reused port).
  process.on('disconnect', stop);
  if (!loaded) {
    console.log(`embedded demo: simulated providers (labelled "demo") on loopback; API key for workspace "default": ${DEMO_KEY}`);
    if (env.CASCADE_DEMO_JOB === '1') await runDemoJob(cascade.url, DEMO_KEY, (line) => console.log(line));
  }
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? `cascade: ${err.message}` : err);
  process.exit(1);
});
