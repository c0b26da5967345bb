// @stryker-mutator/mocha-runner 9 requires mocha's CLI helpers by their old names (lib/cli/run-helpers,
// lib/cli/options, lib/cli/collect-files); mocha 12 ships them as .cjs files. Preloaded into Stryker and
// its workers (NODE_OPTIONS in `npm run test:mutation`), this resolves those three names to the .cjs files.
'use strict';
const Module = require('node:module');
const { existsSync } = require('node:fs');

const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  if (/[\\/]mocha[\\/]lib[\\/]cli[\\/](run-helpers|options|collect-files)$/.test(request) && existsSync(`${request}.cjs`)) {
    return `${request}.cjs`;
  }
  return resolve.call(this, request, parent, ...rest);
};
