// The raw request path → the one path that is both checked and forwarded (or a refusal).
import t from 'tap';
import { normalizePath } from '../services/connector/path-normalizer.js';

type Row = [raw: string, expected: string | { refused: string }];

const TABLE: Row[] = [
  // already normal: returned unchanged
  ['/', '/'],
  ['/public', '/public'],
  ['/public/', '/public/'],
  ['/sap/opu/odata/sap/API;o=SYS/Entity', '/sap/opu/odata/sap/API;o=SYS/Entity'],
  // dot segments, plain and percent-encoded
  ['/public/../secret', '/secret'],
  ['/public/%2e%2e/secret', '/secret'],
  ['/public/%2E%2e/secret', '/secret'],
  ['/public/.%2e/secret', '/secret'],
  ['/./public', '/public'],
  ['/public/.', '/public/'],
  ['/public/x/..', '/public/'],
  ['/a/./b/../c/', '/a/c/'],
  ['/..', '/'],
  ['/../..', '/'],
  ['/public/.../x', '/public/.../x'],
  ['/public/.hidden', '/public/.hidden'],
  // runs of slashes
  ['//secret', '/secret'],
  ['/public//x', '/public/x'],
  ['//public/../secret', '/secret'],
  ['/public//..//secret', '/secret'],
  // unreserved escapes decoded, other escapes kept with upper-case hex
  ['/%70ublic', '/public'],
  ['/%7Euser/%41-%5f', '/~user/A-_'],
  ['/a%3bb', '/a%3Bb'],
  ['/caf%c3%a9', '/caf%C3%A9'],
  ['/a%252e%252e/b', '/a%252e%252e/b'],
  ['/public;jsessionid=1/../secret', '/secret'],
  // refusals
  ['/public%2f..%2fsecret', { refused: 'encoded slash (%2F) at offset 7' }],
  ['/public%2F..', { refused: 'encoded slash (%2F) at offset 7' }],
  ['/public/..%2fsecret', { refused: 'encoded slash (%2F) at offset 10' }],
  ['/public\\..\\secret', { refused: 'backslash at offset 7' }],
  ['/public%5c..', { refused: 'encoded backslash (%5C) at offset 7' }],
  ['/public%5C..', { refused: 'encoded backslash (%5C) at offset 7' }],
  ['/public/..;/secret', { refused: 'dot segment with path parameters "..;"' }],
  ['/public/.;x/secret', { refused: 'dot segment with path parameters ".;x"' }],
  ['/public/%2e%2e;/secret', { refused: 'dot segment with path parameters "..;"' }],
  ['/public/..%3b/secret', { refused: 'dot segment with path parameters "..%3B"' }],
  ['/a%00b', { refused: 'encoded NUL (%00) at offset 2' }],
  ['/a\u0000b', { refused: 'NUL character at offset 2' }],
  ['/a%zz', { refused: 'malformed percent escape "%zz" at offset 2' }],
  ['/a%4', { refused: 'malformed percent escape "%4" at offset 2' }],
  ['/a%', { refused: 'malformed percent escape "%" at offset 2' }],
  ['/a b', { refused: 'space at offset 2' }],
  ['/a\tb', { refused: 'control character 0x09 at offset 2' }],
  ['/a\r\nb', { refused: 'control character 0x0d at offset 2' }],
  ['/a\u007fb', { refused: 'control character 0x7f at offset 2' }],
  ['x', { refused: 'the path does not start with "/"' }],
  ['public/x', { refused: 'the path does not start with "/"' }],
  ['', { refused: 'the path is empty' }],
];

for (const [raw, expected] of TABLE) {
  if (typeof expected === 'string') {
    t.test(`normalises ${JSON.stringify(raw)} to ${JSON.stringify(expected)}`, async (t) => {
      t.same(normalizePath(raw), { ok: true, path: expected });
    });
  } else {
    t.test(`refuses ${JSON.stringify(raw)}: ${expected.refused}`, async (t) => {
      t.same(normalizePath(raw), { ok: false, reason: expected.refused });
    });
  }
}

t.test('normalising a normalised path changes nothing', async (t) => {
  for (const [, expected] of TABLE) {
    if (typeof expected === 'string') t.same(normalizePath(expected), { ok: true, path: expected }, expected);
  }
});

t.test('no normalised path contains a dot segment, a double slash or an encoded slash', async (t) => {
  for (const [raw, expected] of TABLE) {
    if (typeof expected !== 'string') continue;
    const result = normalizePath(raw);
    if (!result.ok) { t.fail(raw); continue; }
    t.notMatch(result.path, /(^|\/)\.\.?(\/|$)|\/\/|%2F|%5C|\\/i, raw);
  }
});
