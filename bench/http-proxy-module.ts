// The http-proxy package, loaded so that Node 22 prints no deprecation warning for it.
//
// DEP0060: http-proxy 1.18.1 (its last release) keeps `require('util')._extend` from load time and
// calls it for every request; Node 22 prints a DeprecationWarning at the first call. It is loaded
// while util._extend is Object.assign (what Node's message says to use; the same copy for
// http-proxy's two-argument calls), and Node's function is put back at once. Import http-proxy
// through this module only.
import { createRequire } from 'node:module';
import util from 'node:util';
import type HttpProxy from 'http-proxy';

export const httpProxy = ((): typeof HttpProxy => {
  const nodeUtil = util as unknown as { _extend: unknown };
  const deprecated = nodeUtil._extend;
  nodeUtil._extend = Object.assign;
  try {
    return createRequire(import.meta.url)('http-proxy') as typeof HttpProxy;
  } finally {
    nodeUtil._extend = deprecated;
  }
})();
