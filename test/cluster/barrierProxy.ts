import { startForwardingProxy } from '../helpers/forwardingProxy.js';

export interface BarrierProxy {
  url: string;
  /** Requests the barrier held (at most `n`). */
  held: number;
  close(): Promise<void>;
}

/**
 * An HTTP proxy on 127.0.0.1 in front of `target` (a libSQL server) that
 * holds the first requests whose body matches `when` until `n` of them wait,
 * then lets them all go at once; everything else passes straight through.
 * Processes that start at their own pace thus meet at one statement: a race
 * that start-up timing made rare happens every time. After `maxWaitMs` the
 * held ones go anyway, so a sender that never comes (because the others
 * hold a lock it waits for before it sends) cannot stall the test.
 */
export async function startBarrierProxy(target: string, when: (body: Buffer) => boolean, n: number, maxWaitMs = 10_000): Promise<BarrierProxy> {
  const proxy: BarrierProxy = { url: '', held: 0, close: async () => {} };
  let release: () => void = () => {};
  const open = new Promise<void>((resolve) => (release = resolve));
  let timer: NodeJS.Timeout | undefined;
  let released = false;
  const forwarding = await startForwardingProxy(target, {
    async beforeForward(body) {
      if (released || !when(body)) return;
      proxy.held++;
      timer ??= setTimeout(() => {
        released = true;
        release();
      }, maxWaitMs);
      if (proxy.held >= n) {
        released = true;
        clearTimeout(timer);
        release();
      }
      await open;
    },
    onClose() {
      clearTimeout(timer);
      release();
    },
  });
  proxy.url = forwarding.url;
  proxy.close = forwarding.close;
  return proxy;
}
