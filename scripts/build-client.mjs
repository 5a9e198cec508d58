// Bundles the browser code (client/*.ts) into dist/client with esbuild; type-checking is tsc's job.
import { build } from 'esbuild';

await build({
  entryPoints: { app: 'client/app.ts' },
  outdir: 'dist/client',
  bundle: true,
  format: 'iife',
  target: 'es2022',
  sourcemap: true,
  minify: true,
  logLevel: 'warning',
});
