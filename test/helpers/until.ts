/** Looks at `cond` every `everyMs` until it holds; past `ms`, fails naming `what` was waited for. */
export async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 60_000, everyMs = 25): Promise<void> {
  const giveUpAt = performance.now() + ms;
  while (!(await cond())) {
    if (performance.now() > giveUpAt) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
