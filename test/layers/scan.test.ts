import { describe, expect, it } from 'vitest';
import { resolveSpecifier } from './graph.js';
import { importsOf } from './scan.js';

const specifiers = (source: string): string[] => importsOf(source).map((s) => s.specifier);

describe('importsOf', () => {
  it('finds every form of import and re-export, multi-line ones included', () => {
    const source = [
      "import { a } from './a.js';",
      "import b, { c } from './b.js';",
      "import * as d from './d.js';",
      "import './side-effect.js';",
      'import {',
      '  e,',
      '  f,',
      "} from './multi-line.js';",
      "export { g } from './g.js';",
      "export * from './star.js';",
      "export * as h from './star-as.js';",
      "const i = await import('./dynamic.js');",
      "const j = require('./required.cjs');",
      "type K = typeof import('./type-query.js');",
    ].join('\n');
    expect(specifiers(source)).toEqual([
      './a.js',
      './b.js',
      './d.js',
      './side-effect.js',
      './multi-line.js',
      './g.js',
      './star.js',
      './star-as.js',
      './dynamic.js',
      './required.cjs',
      './type-query.js',
    ]);
    expect(importsOf(source).find((s) => s.specifier === './multi-line.js')?.line).toBe(8);
  });

  it('marks type-only imports, which count all the same', () => {
    const source = [
      "import type { A } from './type.js';",
      "import { type B, type C } from './all-typed.js';",
      "import { type D, e } from './mixed.js';",
      "export type { F } from './export-type.js';",
      "import type from './default-named-type.js';",
    ].join('\n');
    expect(importsOf(source).map((s) => [s.specifier, s.typeOnly])).toEqual([
      ['./type.js', true],
      ['./all-typed.js', true],
      ['./mixed.js', false],
      ['./export-type.js', true],
      ['./default-named-type.js', false],
    ]);
  });

  it('is not fooled by imports inside comments, strings, templates or regular expressions', () => {
    const source = [
      "// import { x } from './line-comment.js';",
      "/* import { y } from './block-comment.js'; */",
      'const s = "import { z } from \'./in-string.js\';";',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the text of a template literal, to be scanned
      "const t = `import { w } from './in-template.js'; ${`nested ${'import(\\'./deep.js\\')'}`} done`;",
      'const u = `',
      "import { v } from './template-line.js';",
      '`;',
      "const r = /import\\('.\\/in-regex.js'\\)/;",
      'const q = /[/]"/.test(s) ? 1 / 2 : 3;',
      "const o = { import: 1 }; o.import('./method.js');",
      "import { after } from './after-all-that.js';",
    ].join('\n');
    expect(specifiers(source)).toEqual(['./after-all-that.js']);
  });
});

describe('resolveSpecifier', () => {
  const files = new Set(['src/runtime/engine.ts', 'src/store/index.ts']);
  const exists = (p: string): boolean => files.has(p);

  it('maps .js specifiers to the .ts file, packages to their name and built-ins to node:', () => {
    expect(resolveSpecifier('src/http/server.ts', '../runtime/engine.js', exists)).toBe(
      'src/runtime/engine.ts',
    );
    expect(resolveSpecifier('src/http/server.ts', '../store', exists)).toBe('src/store/index.ts');
    expect(resolveSpecifier('providers/twilio/x.ts', 'twilio/lib/http/response.js', exists)).toBe(
      'pkg:twilio',
    );
    expect(resolveSpecifier('src/x.ts', '@livekit/rtc-node', exists)).toBe('pkg:@livekit/rtc-node');
    expect(resolveSpecifier('src/x.ts', 'fs/promises', exists)).toBe('node:fs/promises');
    expect(resolveSpecifier('src/x.ts', 'node:net', exists)).toBe('node:net');
    expect(resolveSpecifier('src/http/server.ts', '../gone.js', exists)).toBe('missing:src/gone.js');
  });
});
