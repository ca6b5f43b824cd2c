import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';

// Runtime folders stay apart: the engine runs unchanged in the renderer, a device
// process and plain Node, so it may import none of electron, node:*, Svelte, xyflow or the DOM.
const engineForbiddenImports = {
  patterns: [
    { group: ['electron', 'electron/*'], message: 'src/engine must not import electron: it runs outside Electron too.' },
    { group: ['node:*'], message: 'src/engine must not import Node built-ins: it runs in the renderer too.' },
    { group: ['svelte', 'svelte/*', '@xyflow/*', 'echarts', 'echarts/*'], message: 'src/engine must not import UI libraries.' },
    { group: ['**/main/**', '**/renderer/**', '**/preload/**'], message: 'src/engine must not import another runtime folder.' },
  ],
  paths: ['fs', 'path', 'os', 'child_process', 'worker_threads', 'crypto', 'util', 'events', 'stream'].map((name) => ({
    name,
    message: 'src/engine must not import Node built-ins: it runs in the renderer too.',
  })),
};

export default tseslint.config(
  { ignores: ['out/**', 'node_modules/**', 'test-results/**', 'playwright-report/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...svelte.configs['flat/recommended'],
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      'no-console': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: {
      globals: { ...globals.browser },
      parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'] },
    },
  },
  {
    files: ['src/renderer/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['src/engine/**/*.ts'],
    languageOptions: { globals: { ...globals.es2022 } },
    rules: {
      'no-restricted-imports': ['error', engineForbiddenImports],
      // The DOM is off limits too: these globals exist in the renderer but not in a device process.
      'no-restricted-globals': ['error', 'window', 'document', 'navigator', 'HTMLElement', 'HTMLCanvasElement', 'localStorage', 'process', 'Buffer', 'require'],
    },
  },
  {
    files: ['src/shared/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['electron', 'node:*', 'svelte', '@xyflow/*'], message: 'src/shared contains types and constants only.' }] }],
    },
  },
  {
    files: ['scripts/**', 'bin/**', 'test/**', 'e2e/**'],
    rules: { 'no-console': 'off' },
  },
);
