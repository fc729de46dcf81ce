/**
 * An in-memory spreadsheet that behaves like Google Sheets where Cascade
 * depends on it: a grid with a size that writes cannot pass, typed cell
 * values (a string stays a string; only a formula entry makes a formula), and
 * developer metadata anchored to rows that moves with its row when rows are
 * sorted, inserted or deleted, and disappears with it. No HTTP here: the
 * local Sheets server, the add-on's harness and `npm run preview` share it.
 * Rows and columns are 1-based, as in A1 notation.
 */

export type CellValue = string | number | boolean;

export interface Cell {
  value: CellValue;
  /** Set when the cell was entered as a formula (USER_ENTERED `=…` or formulaValue); RAW writes never set it. */
  formula?: string;
}

export interface MetadataLocation {
  locationType: 'ROW' | 'SHEET' | 'SPREADSHEET';
  sheetId?: number;
  dimensionRange?: { sheetId: number; dimension: 'ROWS'; startIndex: number; endIndex: number };
  spreadsheet?: true;
}

export interface DeveloperMetadata {
  metadataId: number;
  metadataKey: string;
  metadataValue?: string;
  visibility: 'DOCUMENT' | 'PROJECT';
}

/** A row owns its cells and its metadata, so moving the row moves both. `index` is its current 0-based position. */
interface Row {
  index: number;
  cells: (Cell | undefined)[];
  meta: DeveloperMetadata[];
}

export type Anchor = { meta: DeveloperMetadata; sheet: Sheet; row?: Row } | { meta: DeveloperMetadata; sheet?: undefined; row?: undefined };

export class GridError extends Error {}

export class Sheet {
  private rows: Row[] = [];
  columnCount: number;
  readonly metadata: DeveloperMetadata[] = [];
  readonly conditionalFormats: unknown[] = [];
  readonly charts: { chartId: number; spec: unknown; position: unknown }[] = [];
  /** Formatting requests (repeatCell) as received: kept so a caller can check what was asked, not rendered. */
  readonly formats: unknown[] = [];

  constructor(
    private readonly book: Spreadsheet,
    readonly sheetId: number,
    public title: string,
    rowCount: number,
    columnCount: number,
  ) {
    this.columnCount = columnCount;
    this.appendRows(rowCount);
  }

  get rowCount(): number {
    return this.rows.length;
  }

  private checkCell(row: number, col: number): void {
    if (row < 1 || col < 1 || row > this.rowCount || col > this.columnCount) {
      throw new GridError(`Range ('${this.title}'!R${row}C${col}) exceeds grid limits. Max rows: ${this.rowCount}, max columns: ${this.columnCount}`);
    }
  }

  cell(row: number, col: number): Cell | undefined {
    return this.rows[row - 1]?.cells[col - 1];
  }

  value(row: number, col: number): CellValue | undefined {
    return this.cell(row, col)?.value;
  }

  setCell(row: number, col: number, cell: Cell | undefined): void {
    this.checkCell(row, col);
    this.rows[row - 1]!.cells[col - 1] = cell;
  }

  /** Plain values set as if typed RAW; `undefined` clears. */
  setValues(row: number, col: number, values: (CellValue | undefined)[][]): void {
    for (const [i, line] of values.entries())
      for (const [j, v] of line.entries()) this.setCell(row + i, col + j, v === undefined || v === '' ? undefined : { value: v });
  }

  /** Values of a block, `undefined` for empty cells; the block is clipped to the grid. */
  values(row1: number, col1: number, row2 = this.rowCount, col2 = this.columnCount): (CellValue | undefined)[][] {
    const out: (CellValue | undefined)[][] = [];
    for (let r = row1; r <= Math.min(row2, this.rowCount); r++) {
      const line: (CellValue | undefined)[] = [];
      for (let c = col1; c <= Math.min(col2, this.columnCount); c++) line.push(this.value(r, c));
      out.push(line);
    }
    return out;
  }

  appendRows(n: number): void {
    for (let i = 0; i < n; i++) this.rows.push({ index: this.rows.length, cells: [], meta: [] });
  }

  appendColumns(n: number): void {
    this.columnCount += n;
  }

  /** Inserts `count` empty rows before `row`, as Insert > Rows above does. */
  insertRows(row: number, count: number): void {
    if (row < 1 || row > this.rowCount + 1) throw new GridError(`cannot insert at row ${row}`);
    const fresh = Array.from({ length: count }, () => ({ index: 0, cells: [], meta: [] as DeveloperMetadata[] }));
    this.rows.splice(row - 1, 0, ...fresh);
    this.reindex();
  }

  /** Deletes rows; their metadata goes with them, as in Sheets. */
  deleteRows(row: number, count: number): void {
    if (row < 1 || row + count - 1 > this.rowCount) throw new GridError(`cannot delete rows ${row}..${row + count - 1}`);
    for (const r of this.rows.splice(row - 1, count)) for (const m of r.meta) this.book.forget(m.metadataId);
    this.reindex();
  }

  /** Sorts rows `from..to` by a column, as Data > Sort range does: whole rows move, metadata included. Empty cells last. */
  sortRows(from: number, to: number, col: number, descending = false): void {
    const slice = this.rows.slice(from - 1, to);
    const key = (r: Row) => r.cells[col - 1]?.value;
    slice.sort((a, b) => {
      const x = key(a);
      const y = key(b);
      if (x === undefined || y === undefined) return x === undefined ? (y === undefined ? 0 : 1) : -1;
      const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
      return descending ? -c : c;
    });
    this.rows.splice(from - 1, slice.length, ...slice);
    this.reindex();
  }

  private reindex(): void {
    for (const [i, r] of this.rows.entries()) r.index = i;
  }

  /** Attaches metadata to a row (1-based); it follows the row from now on. */
  anchorRow(row: number, meta: DeveloperMetadata): void {
    this.checkCell(row, 1);
    const r = this.rows[row - 1]!;
    r.meta.push(meta);
    this.book.remember({ meta, sheet: this, row: r });
  }

  anchorSheet(meta: DeveloperMetadata): void {
    this.metadata.push(meta);
    this.book.remember({ meta, sheet: this });
  }

  /** The row (1-based) a row anchor is on now. */
  rowOf(anchor: Anchor): number | undefined {
    return anchor.row && anchor.sheet === this ? anchor.row.index + 1 : undefined;
  }

  /** Metadata anchored to a row (1-based). */
  rowMetadata(row: number): DeveloperMetadata[] {
    return [...(this.rows[row - 1]?.meta ?? [])];
  }

  /** Drops a row's or the sheet's reference to metadata being deleted. */
  unanchor(anchor: Anchor): void {
    const list = anchor.row ? anchor.row.meta : this.metadata;
    const i = list.indexOf(anchor.meta);
    if (i >= 0) list.splice(i, 1);
  }

  /** Called when the tab itself is deleted. */
  dropAllMetadata(): void {
    for (const r of this.rows) for (const m of r.meta) this.book.forget(m.metadataId);
    for (const m of this.metadata) this.book.forget(m.metadataId);
  }
}

export class Spreadsheet {
  readonly sheets: Sheet[] = [];
  readonly metadata: DeveloperMetadata[] = [];
  private readonly anchors = new Map<number, Anchor>();
  private readonly byKey = new Map<string, Set<number>>();
  private nextIdValue = 1000;

  constructor(
    readonly spreadsheetId: string,
    public title = 'Untitled spreadsheet',
  ) {}

  nextId(): number {
    return this.nextIdValue++;
  }

  sheet(title: string): Sheet | undefined {
    return this.sheets.find((s) => s.title === title);
  }

  sheetById(id: number): Sheet | undefined {
    return this.sheets.find((s) => s.sheetId === id);
  }

  /** Adds a tab; with `values`, fills it from row 1 (the grid is at least as large as the values). */
  addSheet(title: string, opts: { sheetId?: number; rowCount?: number; columnCount?: number; values?: CellValue[][] } = {}): Sheet {
    if (this.sheet(title)) throw new GridError(`A sheet with the name "${title}" already exists. Please enter another name.`);
    const id = opts.sheetId ?? (this.sheets.length === 0 ? 0 : this.nextId());
    if (this.sheetById(id)) throw new GridError(`A sheet with id ${id} already exists`);
    const values = opts.values ?? [];
    const rows = Math.max(opts.rowCount ?? 1000, values.length);
    const cols = Math.max(opts.columnCount ?? 26, ...values.map((v) => v.length));
    const sheet = new Sheet(this, id, title, rows, cols);
    sheet.setValues(1, 1, values);
    this.sheets.push(sheet);
    return sheet;
  }

  deleteSheet(title: string): void {
    const i = this.sheets.findIndex((s) => s.title === title);
    if (i < 0) throw new GridError(`no sheet "${title}"`);
    this.sheets[i]!.dropAllMetadata();
    this.sheets.splice(i, 1);
  }

  remember(anchor: Anchor): void {
    if (this.anchors.has(anchor.meta.metadataId)) throw new GridError(`metadata id ${anchor.meta.metadataId} is already in use`);
    this.anchors.set(anchor.meta.metadataId, anchor);
    const k = keyOf(anchor.meta.metadataKey, anchor.meta.metadataValue);
    let set = this.byKey.get(k);
    if (!set) this.byKey.set(k, (set = new Set()));
    set.add(anchor.meta.metadataId);
  }

  forget(id: number): void {
    const a = this.anchors.get(id);
    if (!a) return;
    this.anchors.delete(id);
    this.byKey.get(keyOf(a.meta.metadataKey, a.meta.metadataValue))?.delete(id);
  }

  anchorSpreadsheet(meta: DeveloperMetadata): void {
    this.metadata.push(meta);
    this.remember({ meta });
  }

  deleteMetadata(id: number): void {
    const a = this.anchors.get(id);
    if (!a) return;
    if (a.sheet) a.sheet.unanchor(a);
    else this.metadata.splice(this.metadata.indexOf(a.meta), 1);
    this.forget(id);
  }

  /** Metadata matching a developerMetadataLookup's id, key and value (each optional). */
  lookup(q: { metadataId?: number; metadataKey?: string; metadataValue?: string; locationType?: string; sheetId?: number }): Anchor[] {
    let ids: Iterable<number>;
    if (q.metadataId !== undefined) ids = this.anchors.has(q.metadataId) ? [q.metadataId] : [];
    else if (q.metadataKey !== undefined && q.metadataValue !== undefined) ids = this.byKey.get(keyOf(q.metadataKey, q.metadataValue)) ?? [];
    else ids = this.anchors.keys();
    const out: Anchor[] = [];
    for (const id of ids) {
      const a = this.anchors.get(id)!;
      if (q.metadataKey !== undefined && a.meta.metadataKey !== q.metadataKey) continue;
      if (q.metadataValue !== undefined && a.meta.metadataValue !== q.metadataValue) continue;
      const type = a.row ? 'ROW' : a.sheet ? 'SHEET' : 'SPREADSHEET';
      if (q.locationType !== undefined && q.locationType !== type) continue;
      if (q.sheetId !== undefined && a.sheet?.sheetId !== q.sheetId) continue;
      out.push(a);
    }
    return out;
  }

  locationOf(a: Anchor): MetadataLocation {
    if (a.row && a.sheet) {
      const i = a.row.index;
      return { locationType: 'ROW', dimensionRange: { sheetId: a.sheet.sheetId, dimension: 'ROWS', startIndex: i, endIndex: i + 1 } };
    }
    if (a.sheet) return { locationType: 'SHEET', sheetId: a.sheet.sheetId };
    return { locationType: 'SPREADSHEET', spreadsheet: true };
  }
}

const keyOf = (k: string, v: string | undefined) => `${k}\0${v ?? ''}`;

/** Every spreadsheet the local server knows, by id. */
export class SheetsModel {
  readonly spreadsheets = new Map<string, Spreadsheet>();

  create(
    spreadsheetId: string,
    tabs: { title: string; values?: CellValue[][]; rowCount?: number; columnCount?: number }[] = [{ title: 'Sheet1' }],
  ): Spreadsheet {
    const book = new Spreadsheet(spreadsheetId);
    for (const t of tabs) book.addSheet(t.title, t);
    this.spreadsheets.set(spreadsheetId, book);
    return book;
  }

  get(spreadsheetId: string): Spreadsheet | undefined {
    return this.spreadsheets.get(spreadsheetId);
  }

  /** A tab by spreadsheet id and title; throws when either is missing, for scripts and tests. */
  sheet(spreadsheetId: string, title: string): Sheet {
    const s = this.get(spreadsheetId)?.sheet(title);
    if (!s) throw new GridError(`no tab "${title}" in spreadsheet ${spreadsheetId}`);
    return s;
  }
}
