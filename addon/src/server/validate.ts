import type { z } from 'zod';
import { firstIssue } from '../../../shared/index.js';
import { AddonError } from '../core/apiErrors.js';

/** `fields: tick at least one field`: the first problem, and where. */
export function zodMessage(error: z.ZodError): string {
  const { path, message } = firstIssue(error);
  return path ? `${path}: ${message}` : message;
}

/** Arguments from the sidebar are checked like any request: the iframe is not trusted to send what the types say. */
export function parseArgs<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new AddonError(zodMessage(parsed.error));
  return parsed.data;
}
