export * from './api.js';
export * from './errors.js';
export * from './fields.js';
export * from './zodPath.js';
export * from './text.js';
export * from './routes.js';
export * from './inputKind.js';
export * from './leads.js';
