import { startForwardingProxy } from './forwardingProxy.js';

export interface LossyProxy {
  url: string;
  /** Requests whose answer was dropped so far. */
  dropped: number;
  close(): Promise<void>;
}

/**
 * An HTTP proxy on 127.0.0.1 in front of `target` that, for the first `drops`
 * requests whose body matches `when`, passes the request on, waits for the
 * answer, and then cuts the client's connection instead of answering: the
 * request took effect, and its sender cannot know it.
 */
export async function startLossyProxy(target: string, when: (body: Buffer) => boolean, drops: number): Promise<LossyProxy> {
  const proxy: LossyProxy = { url: '', dropped: 0, close: async () => {} };
  const forwarding = await startForwardingProxy(target, {
    dropAnswer(body) {
      if (proxy.dropped >= drops || !when(body)) return false;
      proxy.dropped++;
      return true;
    },
  });
  proxy.url = forwarding.url;
  proxy.close = forwarding.close;
  return proxy;
}
