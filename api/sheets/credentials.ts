import { readFileSync } from 'node:fs';
// The Sheets API's entry of googleapis carries the same auth clients without loading every other API.
import * as google from 'googleapis/build/src/apis/sheets/index.js';
import { ConfigError } from '../config/load.js';

export type GoogleAuthClient = InstanceType<typeof google.auth.OAuth2> | InstanceType<typeof google.auth.GoogleAuth>;

export interface GoogleCredential {
  auth: GoogleAuthClient;
  /** Whose per-user quota requests spend. */
  user: string;
  /** The OAuth token in use, so a refusal drops this token and not a fresher one. */
  token?: string;
}

/**
 * Google credentials for write-back. A user's OAuth token is held in this
 * process only, per job: never stored, logged or echoed, so a restart loses
 * it and writing waits for the add-on to send a fresh one. A service account
 * (GOOGLE_APPLICATION_CREDENTIALS) signs its own requests and survives restarts.
 */
export class Credentials {
  private readonly tokens = new Map<string, { token: string; auth: InstanceType<typeof google.auth.OAuth2> }>();
  private readonly serviceAccount: { auth: InstanceType<typeof google.auth.GoogleAuth>; email: string } | undefined;

  constructor(keyFile?: string) {
    if (!keyFile) return;
    let email: unknown;
    try {
      email = JSON.parse(readFileSync(keyFile, 'utf8')).client_email;
    } catch (err) {
      throw new ConfigError(`GOOGLE_APPLICATION_CREDENTIALS: cannot read the key file ${keyFile}: ${(err as Error).message}`);
    }
    if (typeof email !== 'string') throw new ConfigError(`GOOGLE_APPLICATION_CREDENTIALS: ${keyFile} is not a service account key (no client_email)`);
    // No scopes: the client signs a self-signed JWT per request, so no token endpoint is involved.
    this.serviceAccount = { auth: new google.auth.GoogleAuth({ keyFile }), email };
  }

  get hasServiceAccount(): boolean {
    return this.serviceAccount !== undefined;
  }

  setToken(jobId: string, token: string): void {
    const auth = new google.auth.OAuth2();
    auth.setCredentials({ access_token: token });
    this.tokens.set(jobId, { token, auth });
  }

  /** Forgets a token Google refused, unless a fresher one arrived meanwhile. */
  dropToken(jobId: string, token: string): void {
    if (this.tokens.get(jobId)?.token === token) this.tokens.delete(jobId);
  }

  forget(jobId: string): void {
    this.tokens.delete(jobId);
  }

  /** The credential a job writes with now, or undefined while it waits for a token. */
  for(target: { jobId: string; workspaceId: string; credential: 'oauth' | 'service_account'; userKey: string | null }): GoogleCredential | undefined {
    if (target.credential === 'service_account') {
      return this.serviceAccount && { auth: this.serviceAccount.auth, user: `sa:${this.serviceAccount.email}` };
    }
    const t = this.tokens.get(target.jobId);
    if (!t) return undefined;
    // Without the add-on's opaque user key, each job counts as its own user: 429s then teach the true limit.
    return { auth: t.auth, token: t.token, user: `${target.workspaceId}:${target.userKey ?? `job:${target.jobId}`}` };
  }
}
