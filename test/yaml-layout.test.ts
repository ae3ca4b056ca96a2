// Writing a changed config back keeps the user's layout: aligned trailing comments, blank lines,
// flow collections — every line the change did not touch comes back byte for byte.
import t from 'tap';
import { parseDocument } from 'yaml';
import { keepLayout } from '../services/shared/yaml-layout.js';

const ORIGINAL = `# the world
proxy:
  host: 127.0.0.1          # bind address
  httpPort: 20003          # HTTP proxy

connectors:
  - name: default
    systemMappings:
      - virtualHost: virtualhost   # the name apps use
        virtualPort: 3333
        resources: [{ id: /, exactMatchOnly: false }]
`;

function edit(text: string, change: (doc: ReturnType<typeof parseDocument>) => void): string {
  const doc = parseDocument(text);
  change(doc);
  return keepLayout(text, doc.toString({ lineWidth: 0, flowCollectionPadding: false }));
}

t.test('an unchanged document comes back byte for byte', async (t) => {
  t.equal(edit(ORIGINAL, () => {}), ORIGINAL);
});

t.test('a changed value changes its line only; aligned comments elsewhere stay aligned', async (t) => {
  const out = edit(ORIGINAL, (doc) => doc.setIn(['connectors', 0, 'systemMappings', 0, 'virtualPort'], 4444));
  t.equal(out, ORIGINAL.replace('virtualPort: 3333', 'virtualPort: 4444'));
});

t.test('an added entry appears, the rest of the file stays as written', async (t) => {
  const out = edit(ORIGINAL, (doc) => doc.addIn(['connectors', 0, 'systemMappings'], doc.createNode({ virtualHost: 'new', virtualPort: 81 })));
  t.ok(out.startsWith(ORIGINAL.trimEnd()), out);
  t.match(out, /- virtualHost: new\n\s+virtualPort: 81\n$/);
  t.same(parseDocument(out).toJS().connectors[0].systemMappings.length, 2);
});

t.test('when keeping a line would change a value, the regenerated text is used', async (t) => {
  const text = 'a: "x   #y"\nb: 1\n';
  const doc = parseDocument(text);
  doc.set('a', 'x #y');
  const regenerated = doc.toString();
  t.equal(keepLayout(text, regenerated), regenerated);
  t.equal(parseDocument(keepLayout(text, regenerated)).toJS().a, 'x #y');
});
