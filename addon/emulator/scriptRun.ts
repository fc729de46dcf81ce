import type { AppsScript } from './runtime.js';
import type { Outcome } from './protocol.js';

/** Runs one `google.script.run` call in the emulator, answering as the bridge expects: never a rejection, an outcome. */
export async function runForSidebar(gas: AppsScript, fn: string, args: unknown[]): Promise<Outcome> {
  try {
    return { ok: true, value: await gas.run(fn, ...args) };
  } catch (err) {
    const e = err as Error;
    return { ok: false, error: { name: e.name, message: e.message } };
  }
}

/**
 * `google.script.run` for a page outside Google: the same chained API
 * (withSuccessHandler, withFailureHandler, withUserObject, then the server
 * function by name), asynchronous, arguments passed as JSON as Google does.
 * `transport` is JavaScript for `(fn, args) => Promise<Outcome>`: a
 * Playwright binding in the browser test, a POST to the preview server.
 */
export function scriptRunShim(transport: string): string {
  return `(() => {
  const send = ${transport};
  const runner = (success, failure, userObject) => new Proxy({}, {
    get(_target, prop) {
      if (prop === 'withSuccessHandler') return (f) => runner(f, failure, userObject);
      if (prop === 'withFailureHandler') return (f) => runner(success, f, userObject);
      if (prop === 'withUserObject') return (o) => runner(success, failure, o);
      return (...args) => {
        send(String(prop), JSON.parse(JSON.stringify(args))).then((r) => {
          if (r.ok) success && success(r.value, userObject);
          else failure && failure(Object.assign(new Error(r.error.message), { name: r.error.name }), userObject);
        });
      };
    },
  });
  window.google = { script: { run: runner(), host: { close() {}, setHeight() {}, setWidth() {} } } };
})();`;
}

export const BINDING = '__cascadeRun';
/** For Playwright: `page.exposeFunction(BINDING, …)` answers. */
export const bindingShim = () => scriptRunShim(`(fn, args) => window.${BINDING}(fn, args)`);
/** For the preview page: the server runs the call. */
export const httpShim = (path: string) =>
  scriptRunShim(
    `(fn, args) => fetch(${JSON.stringify(path)}, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ fn, args }) }).then((r) => r.json())`,
  );
