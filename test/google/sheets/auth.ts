import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { GoogleApiError } from './googleError.js';

const UNAUTHENTICATED = () =>
  new GoogleApiError(
    401,
    'UNAUTHENTICATED',
    'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
  );

/**
 * Who a bearer credential belongs to, as Google decides it: OAuth access
 * tokens granted to a user (which can expire or be revoked at any moment),
 * or a service account's self-signed JWT, checked against its public key.
 */
export class TokenCheck {
  private readonly tokens = new Map<string, { user: string; valid: boolean }>();
  private readonly serviceAccounts = new Map<string, KeyObject>();

  grant(token: string, user: string): void {
    this.tokens.set(token, { user, valid: true });
  }

  /** The token stops working from the next request on, as an expired or revoked one does. */
  expire(token: string): void {
    const t = this.tokens.get(token);
    if (t) t.valid = false;
  }

  addServiceAccount(email: string, publicKeyPem: string): void {
    this.serviceAccounts.set(email, createPublicKey(publicKeyPem));
  }

  /** The user an Authorization header speaks for, or a 401. */
  userOf(header: string | undefined, now: number): string {
    const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
    if (!m) throw UNAUTHENTICATED();
    const token = m[1]!;
    const t = this.tokens.get(token);
    if (t) {
      if (!t.valid) throw UNAUTHENTICATED();
      return t.user;
    }
    return this.serviceAccountOf(token, now);
  }

  private serviceAccountOf(jwt: string, now: number): string {
    const parts = jwt.split('.');
    if (parts.length !== 3) throw UNAUTHENTICATED();
    let claims: { iss?: string; exp?: number };
    try {
      claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
    } catch {
      throw UNAUTHENTICATED();
    }
    const key = claims.iss ? this.serviceAccounts.get(claims.iss) : undefined;
    if (!key || !claims.exp || claims.exp * 1000 < now) throw UNAUTHENTICATED();
    const ok = verify('RSA-SHA256', Buffer.from(`${parts[0]}.${parts[1]}`), key, Buffer.from(parts[2]!, 'base64url'));
    if (!ok) throw UNAUTHENTICATED();
    return claims.iss!;
  }
}
