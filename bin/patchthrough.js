#!/usr/bin/env node
// The `patchthrough` command (package.json "bin"). In a source tree it runs the TypeScript CLI
// through tsx's loader (a dependency); in an image holding only the build (`npm run build`,
// dist/) it runs the compiled CLI.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const source = new URL('../src/cli/main.ts', import.meta.url);
if (existsSync(fileURLToPath(source))) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else {
  await import(new URL('../dist/src/cli/main.js', import.meta.url).href);
}
