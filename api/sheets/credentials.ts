import { readFileSync } from 'node:fs';
// The Sheets API's entry of googleapis carries the same auth clients without loading every other API.
import * as google from 'googleapis/build/src/apis/sheets/index.js';
import { ConfigError } from '../config/load.js';
import type { TokenCipher } from './tokenCipher.js';

export type GoogleAuthClient = InstanceType<typeof google.auth.OAuth2> | InstanceType<typeof google.auth.GoogleAuth>;

export interface GoogleCredential {
  auth: GoogleAuthClient;
  /** Whose per-user quota requests spend. */
  user: string;
  /** The OAuth token in use, so a refusal drops this token and not a fresher one. */
  token?: string;
  /** That token as the database holds it (sealed), likewise. */
  sealed?: string;
}

/** What a credential is chosen from: the target as stored, its sealed token included. */
export interface CredentialTarget {
  jobId: string;
  workspaceId: string;
  credential: 'oauth' | 'service_account';
  userKey: string | null;
  token: string | null;
}

/**
 * Google credentials for write-back. A user's OAuth token is never logged
 * or echoed. With a token key (CASCADE_TOKEN_KEY) it is stored sealed with
 * its target, so whichever instance of a cluster writes the job can open
 * it, and it survives restarts; the database is then where a token is
 * looked up, and this process keeps only the opened copy. Without a key it
 * is held in this process only, per job, as it always was: a restart loses
 * it, and in a cluster an instance that did not receive it cannot write the
 * job (its sheet status waits for a token). A service account
 * (GOOGLE_APPLICATION_CREDENTIALS) signs its own requests and survives restarts.
 */
export class Credentials {
  private readonly tokens = new Map<string, { token: string; auth: InstanceType<typeof google.auth.OAuth2>; sealed?: string }>();
  private readonly serviceAccount: { auth: InstanceType<typeof google.auth.GoogleAuth>; email: string } | undefined;

  constructor(
    keyFile?: string,
    private readonly cipher?: TokenCipher,
  ) {
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

  /** Takes a fresh token; returns it sealed for the database, or null without a key (it then lives here only). */
  setToken(jobId: string, token: string): string | null {
    const sealed = this.cipher?.seal(jobId, token);
    this.remember(jobId, token, sealed);
    return sealed ?? null;
  }

  private remember(jobId: string, token: string, sealed: string | undefined) {
    const auth = new google.auth.OAuth2();
    auth.setCredentials({ access_token: token });
    const entry = { token, auth, sealed };
    this.tokens.set(jobId, entry);
    return entry;
  }

  /** Forgets a token Google refused, unless a fresher one arrived meanwhile. */
  dropToken(jobId: string, token: string): void {
    if (this.tokens.get(jobId)?.token === token) this.tokens.delete(jobId);
  }

  /** Why a job that writes with a user's token has none here, for its sheet status. */
  missing(target: CredentialTarget): string {
    if (target.token !== null && this.cipher)
      return 'the stored Google access token cannot be opened with this instance’s CASCADE_TOKEN_KEY (the key differs between instances, or changed); send a fresh one with PUT /v1/jobs/{id}/token';
    if (target.token !== null)
      return 'this instance has no CASCADE_TOKEN_KEY to open the stored Google access token; send a fresh one with PUT /v1/jobs/{id}/token';
    return this.cipher
      ? 'no Google access token for this job (it expired or was revoked); send a fresh one with PUT /v1/jobs/{id}/token'
      : 'no Google access token for this job on this instance (it expired, was revoked, the API restarted, or another instance received it: without CASCADE_TOKEN_KEY tokens are not shared); send a fresh one with PUT /v1/jobs/{id}/token';
  }

  forget(jobId: string): void {
    this.tokens.delete(jobId);
  }

  /** The Google user whose per-user quota the job's requests spend, whether or not this instance can write it. */
  userOf(target: CredentialTarget): string {
    if (target.credential === 'service_account') return `sa:${this.serviceAccount?.email ?? ''}`;
    // Without the add-on's opaque user key, each job counts as its own user: 429s then teach the true limit.
    return `${target.workspaceId}:${target.userKey ?? `job:${target.jobId}`}`;
  }

  /** The credential a job writes with now, or undefined while it waits for a token. */
  for(target: CredentialTarget): GoogleCredential | undefined {
    if (target.credential === 'service_account') {
      return this.serviceAccount && { auth: this.serviceAccount.auth, user: this.userOf(target) };
    }
    const t = this.cipher ? this.opened(target) : this.tokens.get(target.jobId);
    if (!t) return undefined;
    return { auth: t.auth, token: t.token, sealed: t.sealed, user: this.userOf(target) };
  }

  /** With a key the stored token is the job's token: the copy opened here is used while it is the one stored. */
  private opened(target: CredentialTarget) {
    if (target.token === null) {
      this.tokens.delete(target.jobId);
      return undefined;
    }
    const known = this.tokens.get(target.jobId);
    if (known?.sealed === target.token) return known;
    const token = this.cipher!.open(target.jobId, target.token);
    return token === undefined ? undefined : this.remember(target.jobId, token, target.token);
  }
}
