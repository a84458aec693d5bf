// Type-aware promise rules biome does not have (`npm run lint` runs biome, then this). Every
// promise is awaited, returned, or handed to `.catch` / `.then(ok, fail)`; no promise is passed
// where a callback's result is ignored. In the daemon (`src/`) `void promise` does not count as
// handled: a rejection there would reach the process. Formatting and every other rule stay with
// biome (biome.json). typescript-eslint needs the TypeScript 5 compiler API (package.json).
import tseslint from 'typescript-eslint';

const promiseRules = (ignoreVoid) => ({
  '@typescript-eslint/no-floating-promises': ['error', { ignoreVoid }],
  '@typescript-eslint/no-misused-promises': 'error',
});

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'coverage/**', 'bench/results/**', '**/*.js', '**/*.cjs'] },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: promiseRules(true),
  },
  { files: ['src/**/*.ts'], rules: promiseRules(false) },
);
