import { invalidArgument } from './googleError.js';
import { GridError, type Cell, type DeveloperMetadata, type Sheet, type Spreadsheet } from './grid.js';
import type { DataFilter } from './values.js';

/* The `spreadsheets.batchUpdate` requests the local server understands, applied to the model in order. */

type Req = Record<string, any>;

const sheetOf = (book: Spreadsheet, sheetId: number | undefined): Sheet => {
  const s = book.sheetById(sheetId ?? 0);
  if (!s) throw invalidArgument(`No grid with id: ${sheetId ?? 0}`);
  return s;
};

function createMetadata(book: Spreadsheet, r: Req) {
  const md = r.developerMetadata ?? {};
  if (!md.metadataKey) throw invalidArgument('developerMetadata.metadataKey is required');
  const meta: DeveloperMetadata = {
    metadataId: md.metadataId ?? book.nextId(),
    metadataKey: md.metadataKey,
    ...(md.metadataValue !== undefined ? { metadataValue: String(md.metadataValue) } : {}),
    visibility: md.visibility ?? 'DOCUMENT',
  };
  const loc = md.location ?? {};
  if (loc.dimensionRange) {
    const d = loc.dimensionRange;
    if (d.dimension !== 'ROWS' || d.endIndex - d.startIndex !== 1) throw invalidArgument('only single-row dimension ranges are supported here');
    sheetOf(book, d.sheetId).anchorRow(d.startIndex + 1, meta);
  } else if (loc.sheetId !== undefined) {
    sheetOf(book, loc.sheetId).anchorSheet(meta);
  } else if (loc.spreadsheet) {
    book.anchorSpreadsheet(meta);
  } else {
    throw invalidArgument('developerMetadata.location is required');
  }
  return { createDeveloperMetadata: { developerMetadata: { ...meta, location: md.location } } };
}

function updateCells(book: Spreadsheet, r: Req) {
  const sheet = sheetOf(book, r.start?.sheetId ?? r.range?.sheetId);
  const row0 = (r.start?.rowIndex ?? r.range?.startRowIndex ?? 0) + 1;
  const col0 = (r.start?.columnIndex ?? r.range?.startColumnIndex ?? 0) + 1;
  for (const [i, row] of ((r.rows ?? []) as Req[]).entries()) {
    (row.values ?? []).forEach((v: Req, j: number) => {
      const u = v.userEnteredValue;
      if (!u) return;
      const cell: Cell | undefined =
        u.formulaValue !== undefined
          ? { value: u.formulaValue, formula: u.formulaValue }
          : u.stringValue !== undefined
            ? { value: u.stringValue }
            : u.numberValue !== undefined
              ? { value: u.numberValue }
              : u.boolValue !== undefined
                ? { value: u.boolValue }
                : undefined;
      sheet.setCell(row0 + i, col0 + j, cell);
    });
  }
  return {};
}

const handlers: Record<string, (book: Spreadsheet, r: Req) => unknown> = {
  addSheet(book, r) {
    const p = r.properties ?? {};
    const s = book.addSheet(p.title ?? `Sheet${book.sheets.length + 1}`, {
      sheetId: p.sheetId,
      rowCount: p.gridProperties?.rowCount,
      columnCount: p.gridProperties?.columnCount,
    });
    return { addSheet: { properties: sheetProperties(s, book.sheets.indexOf(s)) } };
  },
  deleteSheet(book, r) {
    book.deleteSheet(sheetOf(book, r.sheetId).title);
    return {};
  },
  updateSheetProperties(book, r) {
    const s = sheetOf(book, r.properties?.sheetId);
    if (r.properties?.title) s.title = r.properties.title;
    return {};
  },
  appendDimension(book, r) {
    const s = sheetOf(book, r.sheetId);
    if (r.dimension === 'ROWS') s.appendRows(r.length);
    else s.appendColumns(r.length);
    return {};
  },
  insertDimension(book, r) {
    const s = sheetOf(book, r.range?.sheetId);
    if (r.range?.dimension !== 'ROWS') throw invalidArgument('only ROWS are supported here');
    s.insertRows(r.range.startIndex + 1, r.range.endIndex - r.range.startIndex);
    return {};
  },
  deleteDimension(book, r) {
    const s = sheetOf(book, r.range?.sheetId);
    if (r.range?.dimension !== 'ROWS') throw invalidArgument('only ROWS are supported here');
    s.deleteRows(r.range.startIndex + 1, r.range.endIndex - r.range.startIndex);
    return {};
  },
  sortRange(book, r) {
    const s = sheetOf(book, r.range?.sheetId);
    const spec = r.sortSpecs?.[0] ?? {};
    s.sortRows((r.range.startRowIndex ?? 0) + 1, r.range.endRowIndex ?? s.rowCount, (spec.dimensionIndex ?? 0) + 1, spec.sortOrder === 'DESCENDING');
    return {};
  },
  updateCells,
  repeatCell(book, r) {
    sheetOf(book, r.range?.sheetId).formats.push(r);
    return {};
  },
  addConditionalFormatRule(book, r) {
    const ranges = r.rule?.ranges ?? [];
    if (ranges.length === 0) throw invalidArgument('rule.ranges is required');
    sheetOf(book, ranges[0].sheetId).conditionalFormats.splice(r.index ?? Infinity, 0, r.rule);
    return {};
  },
  addChart(book, r) {
    const chart = r.chart ?? {};
    const anchor = chart.position?.overlayPosition?.anchorCell;
    const s = sheetOf(book, anchor?.sheetId ?? chart.position?.sheetId);
    const chartId = chart.chartId ?? book.nextId();
    s.charts.push({ chartId, spec: chart.spec, position: chart.position });
    return { addChart: { chart: { ...chart, chartId } } };
  },
  createDeveloperMetadata: createMetadata,
  deleteDeveloperMetadata(book, r) {
    const filter: DataFilter = r.dataFilter ?? {};
    const found = filter.developerMetadataLookup ? book.lookup(filter.developerMetadataLookup) : [];
    for (const a of found) book.deleteMetadata(a.meta.metadataId);
    return { deleteDeveloperMetadata: { deletedDeveloperMetadata: found.map((a) => ({ ...a.meta, location: book.locationOf(a) })) } };
  },
};

/** Applies requests in order; a bad request fails the call with INVALID_ARGUMENT naming it. */
export function applyRequests(book: Spreadsheet, requests: Req[]): unknown[] {
  return requests.map((req, i) => {
    const [kind, body] = Object.entries(req ?? {})[0] ?? [];
    const handler = kind ? handlers[kind] : undefined;
    if (!handler) throw invalidArgument(`Invalid requests[${i}]: unknown or missing request kind ${kind ?? ''}`);
    try {
      return handler(book, body as Req);
    } catch (err) {
      if (err instanceof GridError) throw invalidArgument(`Invalid requests[${i}].${kind}: ${err.message}`);
      throw err;
    }
  });
}

export function sheetProperties(s: Sheet, index: number) {
  return { sheetId: s.sheetId, title: s.title, index, sheetType: 'GRID', gridProperties: { rowCount: s.rowCount, columnCount: s.columnCount } };
}

/** `spreadsheets.get` without grid data: tabs with their properties, tab-level metadata, conditional formats and charts. */
export function describe(book: Spreadsheet) {
  return {
    spreadsheetId: book.spreadsheetId,
    properties: { title: book.title },
    sheets: book.sheets.map((s, i) => ({
      properties: sheetProperties(s, i),
      ...(s.metadata.length ? { developerMetadata: s.metadata.map((m) => ({ ...m, location: { locationType: 'SHEET', sheetId: s.sheetId } })) } : {}),
      ...(s.conditionalFormats.length ? { conditionalFormats: s.conditionalFormats } : {}),
      ...(s.charts.length ? { charts: s.charts } : {}),
    })),
    ...(book.metadata.length ? { developerMetadata: book.metadata } : {}),
  };
}
