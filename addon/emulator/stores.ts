import type { LockKind, PropertyStore } from './protocol.js';

const exception = (message: string) => Object.assign(new Error(message), { name: 'Exception' });

/** Apps Script's property limits: 9 KB a value, 500 KB a store. */
export const PROPERTY_VALUE_BYTES = 9 * 1024;
export const PROPERTY_STORE_BYTES = 500 * 1024;

export class PropertyStores {
  readonly stores: Record<PropertyStore, Map<string, string>> = { user: new Map(), script: new Map() };

  get(store: PropertyStore, key: string): string | null {
    return this.stores[store].get(key) ?? null;
  }

  set(store: PropertyStore, key: string, value: string): void {
    const bytes = Buffer.byteLength(key) + Buffer.byteLength(value);
    if (bytes > PROPERTY_VALUE_BYTES) throw exception(`Argument too large: value (${bytes} bytes; a property holds ${PROPERTY_VALUE_BYTES})`);
    const map = this.stores[store];
    const total = [...map].reduce((n, [k, v]) => n + (k === key ? 0 : Buffer.byteLength(k) + Buffer.byteLength(v)), 0) + bytes;
    if (total > PROPERTY_STORE_BYTES) throw exception('You have exceeded the property storage quota. Please remove some properties and try again.');
    map.set(key, value);
  }

  delete(store: PropertyStore, key: string): void {
    this.stores[store].delete(key);
  }

  keys(store: PropertyStore): string[] {
    return [...this.stores[store].keys()];
  }

  bytes(store: PropertyStore): number {
    return [...this.stores[store]].reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
  }
}

/** CacheService: 250-character keys, 100 KB values, at most 6 hours. */
export class CacheStore {
  private readonly entries = new Map<string, { value: string; expires: number }>();

  constructor(private readonly now: () => number) {}

  getAll(keys: string[]): Record<string, string> {
    const out: Record<string, string> = {};
    for (const k of keys) {
      const e = this.entries.get(k);
      if (e && e.expires > this.now()) out[k] = e.value;
    }
    return out;
  }

  putAll(values: Record<string, string>, seconds: number): void {
    if (seconds > 21_600) throw exception('Argument too large: expirationInSeconds (at most 21600)');
    for (const [k, v] of Object.entries(values)) {
      if (k.length > 250) throw exception('Argument too large: key');
      if (Buffer.byteLength(v) > 100 * 1024) throw exception('Argument too large: value');
      this.entries.set(k, { value: v, expires: this.now() + seconds * 1000 });
    }
  }

  get size(): number {
    return this.entries.size;
  }
}

/** LockService: one holder per lock; the others wait up to their timeout; an execution's locks go when it ends. */
export class Locks {
  private readonly holders = new Map<LockKind, number>();
  private readonly waiting: { kind: LockKind; exec: number; grant: (ok: boolean) => void }[] = [];

  acquire(kind: LockKind, exec: number, timeoutMs: number): Promise<boolean> {
    const holder = this.holders.get(kind);
    if (holder === undefined || holder === exec) {
      this.holders.set(kind, exec);
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const entry = {
        kind,
        exec,
        grant: (ok: boolean) => {
          clearTimeout(timer);
          resolve(ok);
        },
      };
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(entry), 1);
        resolve(false);
      }, timeoutMs);
      this.waiting.push(entry);
    });
  }

  release(kind: LockKind, exec: number): void {
    if (this.holders.get(kind) !== exec) return;
    this.holders.delete(kind);
    const next = this.waiting.find((w) => w.kind === kind);
    if (next) {
      this.waiting.splice(this.waiting.indexOf(next), 1);
      this.holders.set(kind, next.exec);
      next.grant(true);
    }
  }

  releaseAll(exec: number): void {
    for (const [kind, holder] of [...this.holders]) if (holder === exec) this.release(kind, exec);
    for (const w of this.waiting.filter((x) => x.exec === exec)) {
      this.waiting.splice(this.waiting.indexOf(w), 1);
      w.grant(false);
    }
  }
}
