// Lint: typescript-eslint's recommended rules plus the layering the README promises, checked on every
// `npm test`. Formatting is Prettier's job (eslint-config-prettier turns off the rules it owns).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import prettier from 'eslint-config-prettier';
import globals from 'globals';

// The domain: what a complaint, an offset or a compensation is and how it changes. It sits below HTTP,
// pages, jobs, the CLI and the plugin factory, and must never reach up into them.
const DOMAIN = [
  'src/complaints',
  'src/offsets',
  'src/compensations',
  'src/attachments',
  'src/calendar',
  'src/common',
  'src/notifications',
  'src/reports',
  'src/settings',
  'src/privacy',
  'src/auth/actor.ts',
  'src/auth/permissions.ts',
];
const ABOVE_DOMAIN = ['src/http', 'src/views', 'src/jobs', 'src/cli', 'src/plugin', 'src/demo', 'src/install'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'bench/results/**', 'clients/**', 'coverage/**', 'reports/**', '.stryker-tmp/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module', globals: { ...globals.node } },
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })] },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            ...DOMAIN.map((target) => ({
              target,
              from: ABOVE_DOMAIN,
              message: 'The domain never imports HTTP, pages, jobs, the CLI or the plugin factory: pass what it needs in (see src/common/context.ts).',
            })),
            {
              // Authentication (actors, permissions, tokens, the session store) sits below the pages and HTTP
              // that use it; the demo sign-in page lives with the pages (src/views/pages/signIn.ts).
              target: 'src/auth',
              from: ['src/http', 'src/views', 'src/plugin', 'src/cli', 'src/jobs'],
              message: 'src/auth sits below HTTP and the pages: page code that signs people in lives in src/views/pages.',
            },
            {
              // The router imports the page modules; a page module never imports the router (the services
              // type they share lives in src/views/services.ts).
              target: 'src/views/pages',
              from: 'src/views/router.ts',
              message: 'Page modules never import the router: take PageServices from src/views/services.ts.',
            },
            {
              target: ['src/http', 'src/views'],
              from: ['src/db/connection.ts', 'src/db/migrations.ts'],
              message: 'HTTP and pages call services, never the database.',
            },
            {
              // The plugin factory, the CLI and the installer build the gateway; everything else gets a HostReader.
              target: [
                'src/auth',
                'src/calendar',
                'src/common',
                'src/complaints',
                'src/compensations',
                'src/attachments',
                'src/db',
                'src/demo',
                'src/http',
                'src/i18n',
                'src/jobs',
                'src/manifest',
                'src/notifications',
                'src/offsets',
                'src/reports',
                'src/settings',
                'src/views',
              ],
              from: 'src/host/gateway.ts',
              message: 'Only src/host reads host tables; elsewhere use the HostReader the context carries (src/host/reader.ts).',
            },
          ],
        },
      ],
    },
  },
  {
    // Domain modules stay free of the web stack.
    files: DOMAIN.map((d) => (d.endsWith('.ts') ? d : `${d}/**/*.ts`)),
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['koa', 'koa-*', '@koa/*', 'handlebars'], message: 'The domain never depends on the web stack.' }] },
      ],
    },
  },
  {
    // HTTP and pages call services; only stores and migrations speak SQL.
    files: ['src/http/**/*.ts', 'src/views/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'knex', message: 'HTTP and pages call services or stores, never knex.', allowTypeImports: false }] },
      ],
    },
  },
  { files: ['views/assets/**/*.js'], languageOptions: { globals: { ...globals.browser } } },
  { files: ['**/*.cjs'], languageOptions: { sourceType: 'commonjs' }, rules: { '@typescript-eslint/no-require-imports': 'off' } },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    // Tests feed deliberately ill-typed input to the code under test.
    rules: { '@typescript-eslint/no-unused-expressions': 'off', '@typescript-eslint/no-explicit-any': 'off' },
  },
  prettier,
);
