import { build, type Plugin } from 'esbuild';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

const ADDON = dirname(fileURLToPath(import.meta.url));
export const DEFAULT_OUT = join(ADDON, 'dist');

/** Apps Script's own globals: a top-level name in the bundle equal to one of these would hide the service. */
const SERVICES = [
  'SpreadsheetApp',
  'PropertiesService',
  'CacheService',
  'LockService',
  'HtmlService',
  'UrlFetchApp',
  'ScriptApp',
  'Session',
  'Utilities',
  'Logger',
  'console',
];

/**
 * Apps Script parses the whole file at every execution, each `=CASCADE()`
 * cell included. zod's namespace import drags in all of its ~250 message
 * locales (esbuild cannot shake a re-exported namespace), about half the
 * bundle; the add-on uses none of them (English is imported on its own).
 */
const withoutZodLocales: Plugin = {
  name: 'without-zod-locales',
  setup(b) {
    b.onResolve({ filter: /\/locales\/index\.js$/ }, (args) =>
      /[\\/]node_modules[\\/]zod[\\/]/.test(args.importer) ? { path: 'zod-locales', namespace: 'empty' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'empty' }, () => ({ contents: 'export {};' }));
  },
};

export interface BuiltAddon {
  outDir: string;
  /** The functions Apps Script can call: the entry file's exports. */
  globals: string[];
  code: string;
  sidebar: string;
}

/**
 * Apps Script wants plain script files whose entry points are top-level
 * function declarations. esbuild bundles the entry as an ES module (so its
 * exports stay top-level functions), then the trailing `export {…}` is cut.
 * esbuild renames a top-level symbol when two modules use the same name;
 * an export then reads `onOpen2 as onOpen` and Apps Script would look for a
 * function that is not there — so the build fails instead.
 */
export async function buildServerBundle(): Promise<{ code: string; globals: string[] }> {
  const res = await build({
    entryPoints: [join(ADDON, 'src/main.ts')],
    bundle: true,
    format: 'esm',
    // Apps Script's V8 runs ES2019 without surprises; newer syntax is lowered.
    target: 'es2019',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    // Keeps the CASCADE JSDoc (marked @preserve): Apps Script reads @customfunction from it for autocomplete.
    legalComments: 'inline',
    charset: 'utf8',
    metafile: true,
    write: false,
    outfile: 'Code.js',
    plugins: [withoutZodLocales],
    logLevel: 'silent',
  });
  const out = res.outputFiles[0]!.text;
  const output = Object.values(res.metafile.outputs)[0]!;
  // Everything is bundled: an import left in the output (a dynamic import() too) would not load in Apps Script.
  if (output.imports.length > 0) throw new Error(`addon build: the bundle still imports ${output.imports.map((i) => i.path).join(', ')}`);
  const exportsOfEntry = output.exports;
  const block = /\nexport\s*\{([^}]*)\};?\s*$/.exec(out);
  if (!block) throw new Error('addon build: the bundle does not end with an export block');
  const globals = block[1]!
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      const m = /^(\w+)(?:\s+as\s+(\w+))?$/.exec(entry);
      if (!m) throw new Error(`addon build: cannot read export "${entry}"`);
      if (m[2] && m[2] !== m[1]) throw new Error(`addon build: esbuild renamed the global ${m[2]} to ${m[1]}; rename the clashing symbol in addon/src`);
      return m[1]!;
    });
  if (globals.length !== exportsOfEntry.length || globals.some((g) => !exportsOfEntry.includes(g))) {
    throw new Error(`addon build: export block ${globals.join(', ')} differs from the entry's exports ${exportsOfEntry.join(', ')}`);
  }
  const code = `${out.slice(0, block.index)}\n`;
  checkScript(code, globals);
  return { code, globals };
}

/** What Apps Script needs of the file: no module syntax, each global a top-level function, no service hidden. */
export function checkScript(code: string, globals: readonly string[]): void {
  try {
    new Script(code, { filename: 'Code.js' });
  } catch (err) {
    throw new Error(`addon build: the bundle is not a plain script (${(err as Error).message})`);
  }
  for (const g of globals) {
    if (!new RegExp(`^function ${g}\\(`, 'm').test(code)) throw new Error(`addon build: ${g} is not a top-level function declaration`);
  }
  const shadow = new RegExp(`^(?:var|let|const|function|class)\\s+(${SERVICES.join('|')})\\b`, 'm').exec(code);
  if (shadow) throw new Error(`addon build: the bundle declares ${shadow[1]} at top level, hiding the Apps Script service`);
}

/** The sidebar: its TypeScript bundled for the browser and inlined with the CSS into one HTML file, as HtmlService serves one file. */
export async function buildSidebar(): Promise<string> {
  const res = await build({
    entryPoints: [join(ADDON, 'src/sidebar/main.ts')],
    bundle: true,
    format: 'iife',
    target: 'es2020',
    platform: 'browser',
    minify: true,
    charset: 'utf8',
    write: false,
    plugins: [withoutZodLocales],
    logLevel: 'silent',
  });
  const js = res.outputFiles[0]!.text.replace(/<\/(script)/gi, '<\\/$1');
  const css = await readFile(join(ADDON, 'src/sidebar/sidebar.css'), 'utf8');
  const template = await readFile(join(ADDON, 'src/sidebar/index.html'), 'utf8');
  if (!template.includes('/*__JS__*/') || !template.includes('/*__CSS__*/')) throw new Error('addon build: sidebar template lost its placeholders');
  return template.replace('/*__CSS__*/', () => css).replace('/*__JS__*/', () => js);
}

/** `npm run build:addon`: addon/dist holds exactly what `clasp push` uploads. */
export async function buildAddon(outDir = DEFAULT_OUT): Promise<BuiltAddon> {
  const [{ code, globals }, sidebar] = await Promise.all([buildServerBundle(), buildSidebar()]);
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const header = '// Cascade add-on, built from addon/src by `npm run build:addon`. Do not edit: changes here are lost at the next build.\n';
  await writeFile(join(outDir, 'Code.js'), header + code);
  await writeFile(join(outDir, 'sidebar.html'), sidebar);
  await copyFile(join(ADDON, 'appsscript.json'), join(outDir, 'appsscript.json'));
  return { outDir, globals, code: header + code, sidebar };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const built = await buildAddon();
  const kb = (s: string) => `${Math.round(Buffer.byteLength(s) / 1024)} KB`;
  console.log(`addon built into ${relative(process.cwd(), built.outDir) || '.'}: Code.js ${kb(built.code)}, sidebar.html ${kb(built.sidebar)}`);
  console.log(`globals: ${built.globals.join(', ')}`);
}
