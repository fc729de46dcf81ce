/**
 * The local Google Sheets: the grid model (no HTTP) for harnesses and
 * previews, and the Sheets API v4 server built on it for googleapis clients.
 */
export { columnIndex, columnLetter } from '../../../api/sheets/a1.js';
export { GridError, Sheet, SheetsModel, Spreadsheet, type Cell, type CellValue, type DeveloperMetadata } from './grid.js';
export { startSheetsServer, type SheetsRequestLog, type SheetsServer, type SheetsServerOptions } from './server.js';
