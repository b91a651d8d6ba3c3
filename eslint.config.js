const js = require('@eslint/js');
const tseslint = require('typescript-eslint');

/** Lint rules: typescript-eslint's recommended set plus the few rules the style guide asks for. */
module.exports = tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.serverless/', '.esbuild/', '.sluice/', 'coverage/', 'bench-data/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  { files: ['local/cli/**/*.ts', 'bench/**/*.ts'], rules: { 'no-console': 'off' } },
  {
    // core/ is runtime-free: steps, ports and rules only. Adapters, SDKs and Lambda middleware live in aws/ and local/.
    files: ['core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^@aws-sdk/', message: 'core/ talks to AWS through a port; the SDK adapter belongs in aws/adapters/.' },
            { regex: '^@middy/', message: 'core/ knows nothing of Lambda; middleware belongs in aws/middleware/.' },
            { regex: '^@aws-lambda-powertools/', message: 'core/ logs through the Logger port; Powertools belongs in aws/log/.' },
            { regex: '^aws-local-stepfunctions$', message: 'core/ knows nothing of the local runtime; it belongs in local/.' },
            { regex: '^(\\.\\./)+(aws|local|functions|bench|deploy|test)(/|$)', message: 'core/ may not import an adapter, a handler or the local runtime: depend on a port in core/ports/ instead.' },
          ],
        },
      ],
    },
  },
  {
    // One file per Task state: a step shares logic through a topic module (core/crawl/, core/training/, ...), never by
    // importing another step; only the registry imports the steps. A separate block with its own rule, so the core/**
    // boundary above keeps applying here (a second no-restricted-imports would replace its patterns for these files).
    files: ['core/steps/**/*.ts'],
    ignores: ['core/steps/registry.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        ...['ImportDeclaration', 'ExportNamedDeclaration', 'ExportAllDeclaration', 'ImportExpression'].map((node) => ({
          // esquery reads a regex up to its first slash, escaped or not: the pattern spells "/" as \x2F.
          selector: `${node}[source.value=/^(\\.\\x2F|\\.\\.\\x2Fsteps\\x2F)/]`,
          message: 'A step does not import another step (or the registry): move what they share to a topic module under core/.',
        })),
      ],
    },
  },
  { files: ['**/*.js'], rules: { '@typescript-eslint/no-require-imports': 'off' }, languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', process: 'readonly', __dirname: 'readonly', console: 'readonly' } } },
);
