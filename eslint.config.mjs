import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'docs/**', 'coverage/**', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'nats', message: 'Only libs/jetstream talks to NATS directly.' }] },
      ],
    },
  },
  {
    // Tests and benchmarks play "another system" that talks plain NATS.
    files: [
      'libs/jetstream/**/*.ts',
      'libs/testing/**/*.ts',
      'bench/**/*.ts',
      '**/test/**/*.ts',
      '**/*.integration-spec.ts',
    ],
    rules: { 'no-restricted-imports': 'off' },
  },
);
