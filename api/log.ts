export type Log = (msg: string, extra?: Record<string, unknown>) => void;

/**
 * A logger that cannot leak a secret: every line is scrubbed of the secret
 * values it was given (provider keys read from the environment, tokens) and
 * of anything that looks like a bearer token or a key in a query string.
 */
export function createLog(secrets: readonly string[], write: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Log {
  const known = secrets.filter((s) => s.length >= 6);
  const scrub = (text: string) => {
    let out = text;
    for (const s of known) out = out.split(s).join('[redacted]');
    return out
      .replace(/(bearer\s+)[A-Za-z0-9._~+/=-]+/gi, '$1[redacted]')
      .replace(/([?&](?:api_?key|key|token|access_token)=)[^&\s"]+/gi, '$1[redacted]');
  };
  return (msg, extra) => write(scrub(`${new Date().toISOString()} ${msg}${extra ? ` ${JSON.stringify(extra)}` : ''}`));
}
