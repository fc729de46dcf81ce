import type { AlertEvent } from '../../shared/alerts.js';
import type { Clock } from '../clock.js';
import type { AlertState, AlertsStore } from '../storage/alerts.js';
import { alertMessage } from '../engine/alerts.js';
import { sendAlertEvent, type SendOptions, type WebhookTarget } from './webhook.js';

export interface MonitorDeps {
  /** Workspaces with calls recent enough for an alert. */
  activeWorkspaces(): Promise<string[]>;
  /** Brings a workspace's alert state up to date (the same path GET /v1/alerts takes). */
  check(workspace: string): Promise<unknown>;
  states: Pick<AlertsStore, 'unsent' | 'markSent'>;
  webhook?: WebhookTarget;
  send?: SendOptions;
  clock: Clock;
  everyMs: number;
  log(msg: string, extra?: Record<string, unknown>): void;
}

export function alertEvent(a: AlertState, event: 'start' | 'clear'): AlertEvent {
  return {
    event: event === 'start' ? 'alert.started' : 'alert.cleared',
    workspace: a.workspaceId,
    provider: a.providerId,
    label: a.label,
    figure: a.figure,
    current: a.current,
    baseline: a.baseline,
    since: new Date(a.startedAt).toISOString(),
    clearedAt: a.clearedAt === null ? null : new Date(a.clearedAt).toISOString(),
    message: alertMessage(a.label, a.figure, a.current, a.baseline),
  };
}

/**
 * Checks every active workspace's alerts on a timer and tells the webhook of
 * each start and each clear, once: an event is marked sent in the database
 * after the webhook accepted it, so a restart sends only what was not
 * accepted (a crash between the answer and the mark sends that one again,
 * the one duplicate at-least-once delivery allows). Without a webhook,
 * events are marked sent as they happen: configuring one later does not
 * replay old alerts.
 */
export class AlertMonitor {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly deps: MonitorDeps) {}

  /** One check of every workspace, then the webhook; concurrent calls share the run in progress. */
  check(): Promise<void> {
    this.running ??= this.run().finally(() => (this.running = undefined));
    return this.running;
  }

  private async run(): Promise<void> {
    for (const ws of await this.deps.activeWorkspaces()) await this.deps.check(ws);
    for (const a of await this.deps.states.unsent()) {
      for (const event of ['start', 'clear'] as const) {
        if (event === 'start' ? a.startSent : a.clearedAt === null || a.clearSent) continue;
        if (this.deps.webhook) {
          const res = await sendAlertEvent(this.deps.webhook, alertEvent(a, event), this.deps.send);
          if (!res.ok) {
            this.deps.log('alert webhook refused or out of reach; tried again at the next check', { status: res.status, reason: res.reason });
            return;
          }
        }
        await this.deps.states.markSent(a, event);
      }
    }
  }

  start(): void {
    this.timer = setInterval(() => {
      this.check().catch((err) => this.deps.log('alert check failed', { err: err instanceof Error ? err.message : String(err) }));
    }, this.deps.everyMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => {});
  }
}
