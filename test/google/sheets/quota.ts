import { GoogleApiError } from './googleError.js';

export interface QuotaLimits {
  perUser: number;
  perProject: number;
  /** 60,000 in Google; shorter in tests so a quota binds within a test's time. */
  windowMs: number;
}

/** Google's per-minute request quota for one kind (reads or writes): per user and per project, over a sliding window. */
export class MinuteQuota {
  private project: number[] = [];
  private readonly users = new Map<string, number[]>();

  constructor(
    private readonly kind: 'Read' | 'Write',
    readonly limits: QuotaLimits,
  ) {}

  /** Counts a request, or refuses it with Google's 429 when either window is full. */
  take(user: string, now: number): void {
    const since = now - this.limits.windowMs;
    this.project = this.project.filter((t) => t > since);
    const mine = (this.users.get(user) ?? []).filter((t) => t > since);
    this.users.set(user, mine);
    const over = mine.length >= this.limits.perUser ? 'per user' : this.project.length >= this.limits.perProject ? '' : undefined;
    if (over !== undefined) {
      throw new GoogleApiError(
        429,
        'RESOURCE_EXHAUSTED',
        `Quota exceeded for quota metric '${this.kind} requests' and limit '${this.kind} requests per minute${over ? ` ${over}` : ''}' of service 'sheets.googleapis.com'.`,
      );
    }
    mine.push(now);
    this.project.push(now);
  }
}
