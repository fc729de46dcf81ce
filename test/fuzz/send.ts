import { connect } from 'node:net';
import { Agent, request } from 'undici';
import { Entries, JobRef, LeadRef, RawBody, RawSegment, type FuzzRequest, type PathPart, type Str } from './requests.js';
import { Adv, describeString } from './strings.js';
import { KEY_A, KEY_B } from './target.js';

/** Jobs created so far, per workspace, that `JobRef`s resolve to; leads accepted so far (workspace a's), that `LeadRef`s resolve to. */
export interface JobPool {
  a: string[];
  b: string[];
  leads: string[];
}

/** A request as bytes on the wire, and how it was described. */
export interface Wire {
  endpoint: string;
  method: string;
  path: string;
  headers: [string, string][];
  body?: Buffer;
  /** Sent over a bare socket: header bytes (NUL, CR, LF) no HTTP client library will send. */
  raw: boolean;
  /** Which workspace's key it carries, for the jobs it creates. */
  workspace: 'a' | 'b' | undefined;
}

export interface Outcome {
  /** The HTTP status, or 0 when no answer came (connection dropped, refused or hung). */
  status: number;
  body?: string;
  error?: string;
}

/**
 * Bytes of a string as UTF-8, except that a lone surrogate is encoded as its
 * three-byte (WTF-8) form: the bytes a sloppy client sends, which no valid
 * UTF-8 decoder accepts.
 */
export function wtf8(s: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const next = s.charCodeAt(i + 1);
    if (c >= 0xd800 && c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      out.push(...Buffer.from(s.slice(i, i + 2), 'utf8'));
      i++;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
    } else {
      out.push(...Buffer.from(String.fromCharCode(c), 'utf8'));
    }
  }
  return Buffer.from(out);
}

const UNRESERVED = /[A-Za-z0-9\-._~]/;
/** Percent-encodes every byte but the unreserved ones; lone surrogates as WTF-8 (`%ED%A0%80`). */
export function encodeComponent(s: string): string {
  let out = '';
  for (const b of wtf8(s)) {
    const ch = String.fromCharCode(b);
    out += b < 0x80 && UNRESERVED.test(ch) ? ch : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The text an `Adv` stands for where only text can go (a path, a query, a header, an object key). */
function advText(a: Adv): string {
  if (a.raw !== undefined) return a.raw;
  return typeof a.value === 'string' ? a.value : (JSON.stringify(a.value) ?? String(a.value));
}

const text = (v: Str) => (v instanceof Adv ? advText(v) : String(v));

function resolveJob(ref: JobRef, pool: JobPool): string {
  const list = pool[ref.workspace];
  // A negative index counts from the newest job (-1: the job created last).
  return list.length ? list[ref.n < 0 ? Math.max(0, list.length + ref.n) : ref.n % list.length]! : 'job_none_yet';
}

function resolveLead(ref: LeadRef, pool: JobPool): string {
  if (ref.form === 'job-row') return `${resolveJob(new JobRef(ref.n, 'a'), pool)}.2`;
  // A negative index counts from the newest lead (-1: the lead accepted last).
  const list = pool.leads;
  const id = list.length ? list[ref.n < 0 ? Math.max(0, list.length + ref.n) : ref.n % list.length]! : 'job_none_yet.1';
  const job = id.slice(0, id.indexOf('.'));
  return ref.form === 'lead' ? id : ref.form === 'job' ? job : `${job}.`;
}

function pathPart(p: PathPart, pool: JobPool): string {
  if (p instanceof JobRef) return encodeComponent(resolveJob(p, pool));
  if (p instanceof LeadRef) return encodeComponent(resolveLead(p, pool) + text(p.tail)) + p.rawTail;
  if (p instanceof RawSegment) return p.text;
  return encodeComponent(text(p));
}

/** A header value as the bytes a client would send (UTF-8, read as Latin-1 by Node's parser). */
const headerBytes = (s: string) => wtf8(s).toString('latin1');

/** JSON text of a body description: object keys kept in order (even `__proto__`), `Adv` raw text verbatim, lone surrogates escaped by JSON.stringify. */
export function bodyText(v: unknown): string {
  if (v instanceof Adv) return v.raw ?? bodyText(v.value);
  if (v instanceof Entries) return `{${v.entries.map(([k, x]) => `${JSON.stringify(k instanceof Adv ? advText(k) : k)}:${bodyText(x)}`).join(',')}}`;
  if (Array.isArray(v)) return `[${v.map(bodyText).join(',')}]`;
  if (v === undefined) return 'null';
  return JSON.stringify(v) ?? 'null';
}

export function toWire(r: FuzzRequest, pool: JobPool): Wire {
  let path = `/${r.path.map((p) => pathPart(p, pool)).join('/')}`;
  if (r.query.length) {
    path += `?${r.query.map(([k, v]) => `${encodeComponent(text(k))}=${v instanceof JobRef ? encodeComponent(resolveJob(v, pool)) : encodeComponent(text(v))}`).join('&')}`;
  }
  const headers: [string, string][] = r.headers.map(([k, v]) => [k, headerBytes(text(v))]);
  let workspace: Wire['workspace'];
  if (r.auth === 'a' || r.auth === 'b') {
    headers.push(['authorization', `Bearer ${r.auth === 'a' ? KEY_A : KEY_B}`]);
    workspace = r.auth;
  } else if (r.auth !== 'none') {
    headers.push(['authorization', headerBytes(text(r.auth))]);
  }
  if (r.contentType) headers.push(['content-type', r.contentType]);
  const body = r.body === undefined ? undefined : r.body instanceof RawBody ? r.body.bytes : Buffer.from(bodyText(r.body), 'utf8');
  // NUL, CR and LF in a header value, or bytes an HTTP library refuses in a path: only a bare socket sends them.
  const raw = headers.some(([, v]) => /[\0\r\n]/.test(v)) || /[^\x21-\x7e]/.test(path);
  return { endpoint: r.endpoint, method: r.method, path, headers, body, raw, workspace };
}

/** A readable one-line rendering of what went on the wire, for counterexamples. */
export function describeWire(w: Wire): string {
  const hs = w.headers.filter(([k]) => k !== 'authorization' || !w.workspace).map(([k, v]) => `${k}: ${describeString(v)}`);
  const auth = w.workspace ? ` [key of workspace ${w.workspace}]` : '';
  let body = '';
  if (w.body) {
    const t = w.body.toString('utf8');
    const valid = Buffer.from(t, 'utf8').equals(w.body);
    body = valid ? ` body ${describeString(t)}` : ` body (not UTF-8) ${JSON.stringify(w.body.toString('latin1').slice(0, 400))}`;
  }
  return `${w.method} ${w.path.length > 300 ? `${w.path.slice(0, 300)}…(${w.path.length} chars)` : w.path}${auth}${hs.length ? ` {${hs.join(', ')}}` : ''}${body}${w.raw ? ' (raw socket)' : ''}`;
}

/** Only a request that hangs this long counts as unanswered: a guard against a stuck test, not a performance bound. */
const HANG_GUARD_MS = 120_000;

export class Sender {
  private readonly agent = new Agent({ connections: 4, headersTimeout: HANG_GUARD_MS, bodyTimeout: HANG_GUARD_MS, keepAliveTimeout: 10_000 });

  /**
   * Sends a request on a connection of its own (`reset`: Connection: close), so
   * a connection the server closed after an earlier answer (a 401 sent before a
   * large body was read) is never reused and mistaken for a dropped request.
   */
  async send(base: string, w: Wire): Promise<Outcome> {
    if (w.raw) return this.sendRaw(base, w);
    try {
      const res = await request(`${base}${w.path}`, {
        method: w.method as 'GET',
        headers: w.headers.flat(),
        body: w.body,
        dispatcher: this.agent,
        reset: true,
      });
      const body = await res.body.text();
      return { status: res.statusCode, body };
    } catch (err) {
      const e = err as { code?: string; message?: string };
      // The client refused to send it (a header or method it will not write): send the bytes ourselves.
      if (e.code === 'UND_ERR_INVALID_ARG' || e.code === 'UND_ERR_NOT_SUPPORTED') return this.sendRaw(base, w);
      return { status: 0, error: `${e.code ?? ''} ${e.message ?? String(err)}`.trim() };
    }
  }

  /** HTTP/1.1 over a bare socket with `Connection: close`; reads the status line and the rest as the body. */
  sendRaw(base: string, w: Wire): Promise<Outcome> {
    const { hostname, port } = new URL(base);
    const head = [`${w.method} ${w.path} HTTP/1.1`, `host: ${hostname}:${port}`, 'connection: close', ...w.headers.map(([k, v]) => `${k}: ${v}`)];
    if (w.body) head.push(`content-length: ${w.body.length}`);
    const bytes = Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'), w.body ?? Buffer.alloc(0)]);
    return new Promise((resolve) => {
      const chunks: Buffer[] = [];
      const socket = connect(Number(port), hostname);
      const timer = setTimeout(() => socket.destroy(new Error('no answer (hang guard)')), HANG_GUARD_MS);
      let error: string | undefined;
      socket.on('error', (err) => (error = err.message));
      socket.on('data', (c) => chunks.push(c));
      socket.on('close', () => {
        clearTimeout(timer);
        const all = Buffer.concat(chunks).toString('latin1');
        const m = /^HTTP\/1\.[01] (\d{3})/.exec(all);
        if (!m) return resolve({ status: 0, error: error ?? 'connection closed without an answer' });
        const split = all.indexOf('\r\n\r\n');
        resolve({ status: Number(m[1]), body: split >= 0 ? all.slice(split + 4) : '' });
      });
      socket.write(bytes);
    });
  }

  async close() {
    await this.agent.close();
  }
}
