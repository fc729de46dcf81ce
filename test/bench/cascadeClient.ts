import { readFileSync } from 'node:fs';
import type { BenchProvider } from './benchConfig.js';
import type { CascadeReady, CascadeReply, CascadeRequest, CascadeSpec, CascadeStats } from './cascadeProtocol.js';
import { forkTs } from './ipc.js';

export interface CascadeProcess {
  url: string;
  pid: number | undefined;
  key: string;
  /** Gate state, event-loop delay since the last reset, memory peaks. Undefined if the engine does not answer within `timeoutMs`. */
  stats(opts?: { resetLoop?: boolean; timeoutMs?: number }): Promise<CascadeStats | undefined>;
  /** Peak RSS as Linux reports it (VmHWM), read from outside: known even while the engine's event loop is stuck. */
  vmHwmMB(): number | undefined;
  /** Stops the engine (cascade.stop()); kills it if that takes over `timeoutMs`. Resolves whether it stopped by itself. */
  stop(timeoutMs?: number): Promise<boolean>;
}

/**
 * The V8 flags `npm start` gives the server (its heap ceiling): the engine
 * under test runs as it would in production, and its memory figures hold for it.
 */
function serverNodeFlags(): string[] {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: { start: string } };
  return pkg.scripts.start.match(/--[\w-]+=\S+/g) ?? [];
}

/** Starts Cascade in a child process (see cascadeProcess.ts for why). */
export async function startCascadeProcess(providers: BenchProvider[], simUrl: string, dir: string, workspace = 'bench'): Promise<CascadeProcess> {
  const spec: CascadeSpec = { providers, simUrl, dir, workspace };
  const { ready, child } = await forkTs<CascadeReady, CascadeRequest, CascadeReply>(
    new URL('./cascadeProcess.ts', import.meta.url),
    { BENCH_CASCADE: JSON.stringify(spec) },
    60_000,
    serverNodeFlags(),
  );
  return {
    url: ready.url,
    pid: child.pid,
    key: ready.key,
    async stats({ resetLoop = false, timeoutMs = 30_000 } = {}) {
      try {
        return (await child.request({ type: 'stats', resetLoop }, timeoutMs)) ?? undefined;
      } catch {
        return undefined;
      }
    },
    vmHwmMB() {
      try {
        const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        return m ? Number(m[1]) / 1024 : undefined;
      } catch {
        return undefined;
      }
    },
    stop: (timeoutMs = 30_000) => child.close({ type: 'stop' }, timeoutMs),
  };
}
