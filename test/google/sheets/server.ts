import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TokenCheck } from './auth.js';
import { applyRequests, describe } from './batchUpdate.js';
import { GoogleApiError, invalidArgument, notFound } from './googleError.js';
import { SheetsModel, type Spreadsheet } from './grid.js';
import { MinuteQuota, type QuotaLimits } from './quota.js';
import { blockOfA1, blocksOfFilter, readBlock, writeBlock, type DataFilter } from './values.js';

export interface SheetsRequestLog {
  at: number;
  method: string;
  /** The API method, as googleapis names it: `spreadsheets.values.batchUpdateByDataFilter`. */
  endpoint: string;
  kind: 'read' | 'write';
  user: string | null;
  status: number;
  /** Ranges, filters or requests the call carried. */
  items: number;
  bytes: number;
  /** For an accepted batchUpdateByDataFilter: the metadata value of each row anchor it wrote, to count writes per row. */
  anchors?: string[];
}

export interface SheetsServerOptions {
  port?: number;
  model?: SheetsModel;
  writes?: Partial<QuotaLimits>;
  reads?: Partial<QuotaLimits>;
  /** Added to every answer, to model the round trip to Google. */
  latencyMs?: number;
}

export interface SheetsServer {
  /** The `rootUrl` for googleapis (`CASCADE_SHEETS_URL`). */
  url: string;
  model: SheetsModel;
  auth: TokenCheck;
  requests: SheetsRequestLog[];
  /** Answers the next `n` write requests with this status (503 UNAVAILABLE by default), to script an outage. */
  failNextWrites(n: number, status?: number): void;
  close(): Promise<void>;
}

const DEFAULT_LIMITS: QuotaLimits = { perUser: 60, perProject: 300, windowMs: 60_000 };

type Route = { kind: 'read' | 'write'; endpoint: string; run(book: Spreadsheet, body: any, query: URLSearchParams, rest: string): unknown };

/** The Sheets API v4 methods Cascade uses, by path suffix after `/v4/spreadsheets/{id}`. */
function route(method: string, rest: string): Route | undefined {
  if (method === 'GET' && rest === '') return { kind: 'read', endpoint: 'spreadsheets.get', run: (book) => describe(book) };
  if (method === 'POST' && rest === ':batchUpdate') {
    return {
      kind: 'write',
      endpoint: 'spreadsheets.batchUpdate',
      run: (book, body) => ({ spreadsheetId: book.spreadsheetId, replies: applyRequests(book, body.requests ?? []) }),
    };
  }
  if (method === 'GET' && rest === '/values:batchGet') {
    return {
      kind: 'read',
      endpoint: 'spreadsheets.values.batchGet',
      run: (book, _b, q) => ({
        spreadsheetId: book.spreadsheetId,
        valueRanges: q.getAll('ranges').map((r) => readBlock(blockOfA1(book, r), q.get('valueRenderOption') ?? undefined)),
      }),
    };
  }
  if (method === 'POST' && rest === '/values:batchUpdate') {
    return {
      kind: 'write',
      endpoint: 'spreadsheets.values.batchUpdate',
      run: (book, body) =>
        summarise(
          book,
          (body.data ?? []).map((d: any) => writeBlock(blockOfA1(book, d.range), d.values ?? [], body.valueInputOption, d.majorDimension)),
        ),
    };
  }
  if (method === 'POST' && rest === '/values:batchUpdateByDataFilter') {
    return {
      kind: 'write',
      endpoint: 'spreadsheets.values.batchUpdateByDataFilter',
      run: (book, body) =>
        summarise(
          book,
          // A filter that matches nothing (its row was deleted) gets no response entry.
          (body.data ?? []).flatMap((d: any) =>
            blocksOfFilter(book, d.dataFilter as DataFilter).map((b) => ({
              ...writeBlock(b, d.values ?? [], body.valueInputOption, d.majorDimension),
              dataFilter: d.dataFilter,
            })),
          ),
        ),
    };
  }
  if (method === 'POST' && rest === '/values:batchGetByDataFilter') {
    return {
      kind: 'read',
      endpoint: 'spreadsheets.values.batchGetByDataFilter',
      run: (book, body) => ({
        spreadsheetId: book.spreadsheetId,
        valueRanges: (body.dataFilters ?? []).flatMap((f: DataFilter) =>
          blocksOfFilter(book, f).map((b) => ({ valueRange: readBlock(b, body.valueRenderOption ?? undefined), dataFilters: [f] })),
        ),
      }),
    };
  }
  if (method === 'POST' && rest === '/developerMetadata:search') {
    return {
      kind: 'read',
      endpoint: 'spreadsheets.developerMetadata.search',
      run: (book, body) => ({
        matchedDeveloperMetadata: (body.dataFilters ?? []).flatMap((f: DataFilter) =>
          f.developerMetadataLookup
            ? book.lookup(f.developerMetadataLookup).map((a) => ({ developerMetadata: { ...a.meta, location: book.locationOf(a) }, dataFilters: [f] }))
            : [],
        ),
      }),
    };
  }
  const single = /^\/values\/([^:]+)$/.exec(rest);
  if (method === 'GET' && single) {
    return {
      kind: 'read',
      endpoint: 'spreadsheets.values.get',
      run: (book, _b, q) => readBlock(blockOfA1(book, decodeURIComponent(single[1]!)), q.get('valueRenderOption') ?? undefined),
    };
  }
  return undefined;
}

function summarise(book: Spreadsheet, responses: { updatedRows: number; updatedColumns: number; updatedCells: number }[]) {
  return {
    spreadsheetId: book.spreadsheetId,
    totalUpdatedRows: responses.reduce((a, r) => a + r.updatedRows, 0),
    totalUpdatedColumns: Math.max(0, ...responses.map((r) => r.updatedColumns)),
    totalUpdatedCells: responses.reduce((a, r) => a + r.updatedCells, 0),
    responses,
  };
}

const itemsOf = (body: any) => (body?.data ?? body?.requests ?? body?.dataFilters ?? []).length;

/**
 * A Sheets API v4 server on 127.0.0.1 for the real googleapis client: an
 * in-memory grid, bearer tokens checked (and expirable mid-job), per-minute
 * read and write quotas per user and per project answered with 429
 * RESOURCE_EXHAUSTED, grid limits answered with 400, and Google's error shape.
 */
export async function startSheetsServer(opts: SheetsServerOptions = {}): Promise<SheetsServer> {
  const model = opts.model ?? new SheetsModel();
  const auth = new TokenCheck();
  const writes = new MinuteQuota('Write', { ...DEFAULT_LIMITS, ...opts.writes });
  const reads = new MinuteQuota('Read', { ...DEFAULT_LIMITS, ...opts.reads });
  const requests: SheetsRequestLog[] = [];
  let failing = { n: 0, status: 503 };

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://sheets.local');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const now = Date.now();
    const m = /^\/v4\/spreadsheets\/([^/:]+)(.*)$/.exec(url.pathname);
    const r = m ? route(req.method ?? 'GET', m[2]!) : undefined;
    const entry: SheetsRequestLog = {
      at: now,
      method: req.method ?? 'GET',
      endpoint: r?.endpoint ?? url.pathname,
      kind: r?.kind ?? 'read',
      user: null,
      status: 200,
      items: 0,
      bytes: raw.length,
    };
    let status = 200;
    let payload: unknown;
    try {
      if (!m || !r) throw notFound(`no such method: ${req.method} ${url.pathname}`);
      entry.user = auth.userOf(req.headers.authorization, now);
      let body: any = {};
      if (raw.length) {
        try {
          body = JSON.parse(raw.toString('utf8'));
        } catch {
          throw invalidArgument('Invalid JSON payload received.');
        }
      }
      entry.items = itemsOf(body);
      (r.kind === 'write' ? writes : reads).take(entry.user, now);
      if (r.kind === 'write' && failing.n > 0) {
        failing.n--;
        throw new GoogleApiError(failing.status, failing.status === 500 ? 'INTERNAL' : 'UNAVAILABLE', 'The service is currently unavailable.');
      }
      const book = model.get(decodeURIComponent(m[1]!));
      if (!book) throw notFound('Requested entity was not found.');
      payload = r.run(book, body, url.searchParams, m[2]!);
      if (r.endpoint === 'spreadsheets.values.batchUpdateByDataFilter') {
        entry.anchors = (payload as { responses: { dataFilter?: DataFilter }[] }).responses.flatMap(
          (x) => x.dataFilter?.developerMetadataLookup?.metadataValue ?? [],
        );
      }
    } catch (err) {
      const e = err instanceof GoogleApiError ? err : new GoogleApiError(500, 'INTERNAL', 'Internal error encountered.');
      status = e.code;
      payload = e.body();
    }
    entry.status = status;
    requests.push(entry);
    if (opts.latencyMs) await new Promise((resolve) => setTimeout(resolve, opts.latencyMs));
    res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
    res.end(JSON.stringify(payload));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    model,
    auth,
    requests,
    failNextWrites(n, status = 503) {
      failing = { n, status };
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
