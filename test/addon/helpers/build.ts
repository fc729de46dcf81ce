import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildAddon, type BuiltAddon } from '../../../addon/build.js';

let built: Promise<BuiltAddon> | undefined;

/** The add-on built once per test file into its own directory, so files running in parallel never read a half-written dist. */
export function builtAddon(): Promise<BuiltAddon> {
  built ??= buildAddon(join(mkdtempSync(join(tmpdir(), 'cascade-addon-')), 'dist'));
  return built;
}
