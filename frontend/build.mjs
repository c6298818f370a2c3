// Builds the dashboard page's script and styles into the Voilà template's static folder:
//   npm ci && node build.mjs      (or: make frontend)
// The first line of the script records a digest of the sources it was built from; a test
// recomputes it, so a committed script that no longer matches its sources fails CI.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { build } from 'esbuild';

const here = new URL('./', import.meta.url);
const outdir = new URL('../secondop_stats/apps/jupyter/voila/templates/secondop/static/', here);

/** The files the build reads, as paths relative to this folder, in a fixed order. */
export function sourceFiles() {
  const src = readdirSync(new URL('src/', here)).filter((name) => name.endsWith('.js'));
  return ['build.mjs', 'package-lock.json', 'package.json', ...src.sort().map((n) => `src/${n}`)];
}

/** SHA-256 over each source's path, a newline, its bytes and a newline. */
export function sourceDigest() {
  const hash = createHash('sha256');
  for (const path of sourceFiles()) {
    hash.update(`${path}\n`);
    hash.update(readFileSync(new URL(path, here)));
    hash.update('\n');
  }
  return hash.digest('hex');
}

// anywidget's front end is published as an AMD module that ends by calling define(...). The
// page has no AMD loader: import the file as an ES module exporting the factory instead.
const anywidgetAsModule = {
  name: 'anywidget-as-module',
  setup(b) {
    b.onLoad({ filter: /anywidget[\\/]dist[\\/]index\.js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const amd = /define\(\["@jupyter-widgets\/base"\], (\w+)\);\s*$/;
      if (!amd.test(source)) {
        throw new Error('anywidget: the define(...) call this build rewrites was not found');
      }
      return { contents: source.replace(amd, 'export default $1;'), loader: 'js' };
    });
  },
};

// See src/apputils-lite.js.
const apputilsLite = {
  name: 'apputils-lite',
  setup(b) {
    b.onResolve({ filter: /^@jupyterlab\/apputils$/ }, () => ({
      path: new URL('src/apputils-lite.js', here).pathname,
    }));
  },
};

const anywidgetVersion = JSON.parse(
  readFileSync(new URL('node_modules/anywidget/package.json', here), 'utf8'),
).version;

await build({
  entryPoints: [new URL('src/dashboard.js', here).pathname],
  outdir: outdir.pathname,
  entryNames: '[name]',
  bundle: true,
  minify: true,
  format: 'iife',
  target: 'es2020',
  legalComments: 'eof',
  banner: { js: `/* secondop dashboard, sources ${sourceDigest()} */`, css: '/* secondop dashboard */' },
  loader: { '.woff': 'dataurl', '.woff2': 'dataurl', '.svg': 'dataurl', '.png': 'dataurl', '.gif': 'dataurl' },
  define: {
    ANYWIDGET_VERSION: JSON.stringify(anywidgetVersion),
    'process.env.NODE_ENV': '"production"',
  },
  plugins: [anywidgetAsModule, apputilsLite],
  logLevel: 'warning',
});
