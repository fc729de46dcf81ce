export * from './cache.js';
export * from './calls.js';
export * from './jobs.js';
export * from './workspaces.js';
export * from './writes.js';
export * from './alerts.js';
export * from './leads.js';
export * from './members.js';
