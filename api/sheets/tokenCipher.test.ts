import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { TokenCipher } from './tokenCipher.js';

const TOKEN = 'ya29.a0AfH6SMB-secret-token';

describe('TokenCipher', () => {
  const key = randomBytes(32);
  const cipher = new TokenCipher(key);

  it('opens what it sealed, for the same job, and never holds the token in plain text', () => {
    const sealed = cipher.seal('job_1', TOKEN);
    expect(sealed).not.toContain(TOKEN);
    expect(sealed).not.toContain(Buffer.from(TOKEN).toString('base64url'));
    expect(cipher.open('job_1', sealed)).toBe(TOKEN);
    // A fresh IV each time: the same token seals differently.
    expect(cipher.seal('job_1', TOKEN)).not.toBe(sealed);
  });

  it('refuses another key, another job, and any altered part', () => {
    const sealed = cipher.seal('job_1', TOKEN);
    expect(new TokenCipher(randomBytes(32)).open('job_1', sealed)).toBeUndefined();
    expect(cipher.open('job_2', sealed)).toBeUndefined();
    const parts = sealed.split('.');
    for (const i of [1, 2, 3]) {
      const bytes = Buffer.from(parts[i]!, 'base64url');
      bytes[0]! ^= 1;
      const tampered = parts.map((p, j) => (j === i ? bytes.toString('base64url') : p)).join('.');
      expect(cipher.open('job_1', tampered), `part ${i} altered`).toBeUndefined();
    }
    expect(cipher.open('job_1', `v2${sealed.slice(2)}`)).toBeUndefined();
    expect(cipher.open('job_1', 'not sealed')).toBeUndefined();
  });

  it('takes only a 32-byte key', () => {
    expect(() => new TokenCipher(randomBytes(16))).toThrow(/32 bytes/);
  });
});
