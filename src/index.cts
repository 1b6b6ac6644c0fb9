// The CommonJS entry: `require('typetls')` gives the module object of the ES entry (index.ts),
// mutable as node's `tls` is, holding the same functions and classes.
import typetls = require('./index.js');

export = typetls.default;
