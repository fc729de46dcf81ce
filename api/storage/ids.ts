import { randomBytes } from 'node:crypto';

/** Unguessable ids: knowing one job id must not help find another. */
export const newId = (prefix: string) => `${prefix}_${randomBytes(12).toString('base64url')}`;
