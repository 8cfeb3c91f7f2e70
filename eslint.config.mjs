import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const noVscode = {
  'no-restricted-imports': [
    'error',
    {
      paths: [
        {
          name: 'vscode',
          message: 'Only src/extension may use the vscode API at runtime (import type is allowed).',
          allowTypeImports: true,
        },
      ],
    },
  ],
};

export default tseslint.config(
  {
    ignores: [
      'node_modules',
      'dist',
      'out',
      '.vscode-test',
      '**/.runlens',
      '.cache',
      'tmp',
      'examples/quickstart/serving',
      // training scripts as people write them, read as text by the lens recognizer's held-out test
      'test/fixtures/lens-heldout',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportDefaultDeclaration', message: 'No default exports.' },
      ],
    },
  },
  { files: ['src/core/**', 'src/cli/**', 'src/protocol/**', 'clients/**', 'webview-ui/**'], rules: noVscode },
  {
    files: ['src/protocol/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', 'vscode', 'fs', 'path', 'child_process'],
              message: 'Protocol files are shared with the browser.',
              allowTypeImports: true,
            },
            {
              group: ['**/core/**', '**/extension/**', '**/cli/**'],
              message:
                'Protocol files import nothing from core, cli or extension: shared types live in src/protocol.',
            },
          ],
        },
      ],
    },
  },
  { files: ['webview-ui/**'], languageOptions: { globals: { ...globals.browser } } },
  { files: ['**/*.js', '**/*.cjs', '**/*.mjs'], rules: { '@typescript-eslint/no-require-imports': 'off' } },
  { files: ['*.config.mjs'], rules: { 'no-restricted-syntax': 'off' } },
);
