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
  { files: ['**/*.js'], rules: { '@typescript-eslint/no-require-imports': 'off' }, languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', process: 'readonly', __dirname: 'readonly', console: 'readonly' } } },
);
