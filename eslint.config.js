import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/**', 'dev-dist/**', 'node_modules/**', 'public/models/**', 'build/**', 'test-results/**', 'playwright-report/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.browser, ...globals.node, ...globals.worker } },
    rules: {
      'no-console': ['error', { allow: ['warn', 'error', 'info'] }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The decrypted token has one door, src/hub/credentials.ts, with the vault behind it: only code
    // that calls the hub may import them (types excepted: they carry no secrets).
    files: ['src/**'],
    ignores: ['src/hub/**', 'src/vault/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        patterns: [{
          group: ['**/hub/credentials', '**/hub/credentials.ts', '**/vault/*'],
          allowTypeImports: true,
          message: 'Only src/hub/** may reach the Hugging Face token; use AuthService state (app-context) instead.',
        }],
      }],
    },
  },
  {
    files: ['tools/**', 'tests/**', 'bench/**'],
    rules: { 'no-console': 'off' },
  },
);
