// @ts-check
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '.local/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/services/*/src/**', '@sms/auth*', '@sms/students*', '@sms/organizations*', '@sms/gateway*'], message: 'A service never imports another service; talk through events or a documented HTTP call.' },
            { group: ['@sms/shared/src/*', '**/shared/src/**'], message: 'Import the shared library through its public subpaths (@sms/shared/<concern>).' },
          ],
        },
      ],
    },
  },
  {
    // Tests and tooling may reach into services to start them in-process.
    files: ['tests/**', 'bench/**', 'scripts/**', 'stack/**'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    // Test clients read arbitrary JSON answers.
    files: ['tests/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
