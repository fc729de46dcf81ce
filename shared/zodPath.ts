import type { z } from 'zod';

/** `providers[2].request.url`: the path form users see in config errors, API errors and row flags. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}

export function firstIssue(error: z.ZodError): { path: string; message: string } {
  const issue = error.issues[0]!;
  return { path: formatPath(issue.path), message: issue.message };
}
