// Bundled in place of `node:https` (see CJS_LOADED_BUILTINS in lib/reporter-function.ts): the module
// as `require` returns it, without the ES module namespace Node builds for an `import` of it.
module.exports = process.getBuiltinModule('node:https');
