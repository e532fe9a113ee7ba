#!/usr/bin/env python3
"""Builds one browser script from xterm.js 3.8's CommonJS modules.

Debian's libjs-xterm ships /usr/share/javascript/xterm/xterm.js as a stub
that calls require("./public/Terminal"): it cannot run in a browser. The
modules themselves are in node-xterm (/usr/share/nodejs/xterm/lib). This
wraps each of them in a function of a small module table, resolves their
relative require() calls, and sets the global `Terminal` (xterm 3.8's
public API) plus `Terminal.fitAddon` (the fit addon's functions).

usage: xterm_bundle.py LIBDIR FITJS OUT.js
"""
import json
import os
import sys

PRELUDE = """/* xterm.js 3.8 (MIT, see /usr/share/doc/node-xterm/copyright), bundled for the browser */
(function () {
'use strict';
var defs = {}, cache = {};
function resolve(from, rel) {
  var parts = from.split('/'); parts.pop();
  rel.split('/').forEach(function (p) {
    if (p === '..') parts.pop(); else if (p !== '.') parts.push(p);
  });
  var id = parts.join('/');
  if (defs[id]) return id;
  if (defs[id + '/index']) return id + '/index';
  throw new Error('xterm bundle: no module ' + rel + ' from ' + from);
}
function load(id) {
  if (cache[id]) return cache[id].exports;
  var module = cache[id] = { exports: {} };
  defs[id].call(module.exports, function (rel) { return load(resolve(id, rel)); }, module, module.exports);
  return module.exports;
}
"""

FOOTER = """var T = load('public/Terminal').Terminal;
var fit = load('addons/fit/fit');
T.fitAddon = fit;
window.Terminal = T;
})();
"""


def modules(libdir):
    for root, dirs, files in os.walk(libdir):
        dirs.sort()
        for f in sorted(files):
            if f.endswith('.js') and not f.endswith('.test.js'):
                path = os.path.join(root, f)
                yield os.path.relpath(path, libdir)[:-3], path


def wrap(mid, path):
    with open(path, encoding='utf-8') as fh:
        src = fh.read()
    # the source map comments point at files that are not served
    src = '\n'.join(l for l in src.split('\n') if not l.startswith('//# sourceMappingURL'))
    return ('defs[%s] = function (require, module, exports) {\n%s\n};\n' % (json.dumps(mid), src))


def main(argv):
    if len(argv) != 4:
        sys.stderr.write(__doc__)
        return 2
    libdir, fitjs, out = argv[1:]
    parts = [PRELUDE]
    for mid, path in modules(libdir):
        if mid.startswith('addons/'):
            continue
        parts.append(wrap(mid, path))
    parts.append(wrap('addons/fit/fit', fitjs))
    parts.append(FOOTER)
    with open(out, 'w', encoding='utf-8') as fh:
        fh.write(''.join(parts))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
