import type { ServerFunctions } from '../contract.js';

interface ScriptRun {
  withSuccessHandler(f: (value: unknown) => void): ScriptRun;
  withFailureHandler(f: (error: Error) => void): ScriptRun;
  [name: string]: unknown;
}

declare const google: { script: { run: ScriptRun } };

/**
 * `google.script.run` as promises, typed from the one server interface: a
 * call the server does not expose, or with the wrong arguments, does not
 * compile.
 */
export function call<K extends keyof ServerFunctions>(name: K, ...args: Parameters<ServerFunctions[K]>): Promise<ReturnType<ServerFunctions[K]>> {
  return new Promise((resolve, reject) => {
    const runner = google.script.run
      .withSuccessHandler((v) => resolve(v as ReturnType<ServerFunctions[K]>))
      .withFailureHandler((e) => reject(e instanceof Error ? e : new Error(String((e as { message?: unknown })?.message ?? e))));
    (runner[name] as (...a: unknown[]) => void)(...args);
  });
}
