// ESLint: typescript-eslint's strict, type-checked rules plus its stylistic ones, on every TypeScript file.
// Formatting is Prettier's job (.prettierrc.json); nothing here fights it. `npm run lint` runs both.
//
// Each .ts file is checked with the tsconfig nearest to it (projectService): webview/ with the DOM lib,
// src/shared/ without Node types, everything else with the root tsconfig.json. The .mjs build and test scripts
// are in no tsconfig, so they get the rules that need no type information.
import eslint from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'out/', 'node_modules/', 'test-artifacts/', '.tmp/', '.stitch/'] },
  eslint.configs.recommended,
  tseslint.configs.strictTypeChecked,
  tseslint.configs.stylisticTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
  },
  {
    rules: {
      // Numbers and booleans read naturally in messages (`${epochs} epochs`); objects and nullish still don't.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      // `return emit(...)` as an early exit from a void function, and `(x) => voidCall(x)` callbacks, are house
      // habits; the rule's --fix turns them into `{ emit(...); return; }` blocks that read worse. A void value used
      // as a value is still a type error where it matters (assigning it to a typed variable or parameter).
      '@typescript-eslint/no-confusing-void-expression': 'off',
      // It rewrites `x as T` into `x!`, which no-non-null-assertion (kept: narrow instead) then rejects.
      '@typescript-eslint/non-nullable-type-assertion-style': 'off',
      // `process.env.X || fallback` and `Number(header) || fallback` treat '' and 0/NaN as missing on purpose.
      '@typescript-eslint/prefer-nullish-coalescing': ['error', { ignorePrimitives: { string: true, number: true } }],
      // `const { secret: _secret, ...rest } = x` and `(_req, res) =>` name what is dropped on purpose.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
    },
  },
  {
    // node:test's `test()` and `describe()` return promises the runner itself awaits.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite', 'before', 'after'] },
          ],
        },
      ],
    },
  },
  {
    // In tests and benchmarks a missing value fails loudly either way (a TypeError is a failed test), and the
    // fixtures are built by the test itself: `!` after a lookup is clearer than an assert per line there.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: globals.node },
  },
);
