// The image CI builds without a registry (.ci/Dockerfile, from node_modules and dist/ made on the
// host by .ci/product-image) must be the image users build (the runtime stage of Dockerfile): the
// same files in the same places, the same environment, user, ports and command. Only where
// node_modules and dist/ are made differs: inside the build (`npm ci`, the build stage) or on the
// host with the same commands.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { dirname, join, posix, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { finalStage, readDockerfile, type Dockerfile, type Instruction } from './helpers/dockerfile.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');
const userFile = readDockerfile(read('Dockerfile'));
const ciFile = readDockerfile(read('.ci/Dockerfile'));
const stagingScript = read('.ci/product-image');

/** The flags of the first `npm ci` command (comments skipped), sorted. */
const npmCiFlags = (text: string): string[] => (/^[^#\n]*\bnpm ci((?:\s+--[\w=-]+)*)/m.exec(text)?.[1] ?? '').trim().split(/\s+/).filter(Boolean).sort();
/** npm flags for how it fetches and what it prints, not what it installs: the host may add them. */
const HOST_ONLY_FLAG = /^--(prefer-offline|loglevel=\w+)$/;

/**
 * Each instruction of the image's stage as `OP args` (FROM left out), with the two places where
 * the Dockerfile makes files itself written as the COPY of the host-made folder that CI does
 * instead: `RUN npm ci --omit=dev …` → `COPY node_modules ./node_modules`, and `COPY --from=build
 * /app/dist ./dist` → `COPY dist ./dist` (the build stage's WORKDIR is the repository).
 */
function asCopies(d: Dockerfile): string[] {
  return finalStage(d).filter((i) => i.op !== 'FROM').map((i: Instruction) => {
    if (i.op === 'RUN' && /\bnpm ci\b/.test(i.args)) return 'COPY node_modules ./node_modules';
    if (i.op !== 'COPY') return `${i.op} ${i.args}`;
    const words = i.args.split(/\s+/);
    const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
    if (from === undefined) return `COPY ${i.args}`;
    const stage = d.stages.find((s) => s.name === from);
    const flags = words.filter((w) => w.startsWith('--') && !w.startsWith('--from='));
    const paths = words.filter((w) => !w.startsWith('--'));
    const sources = paths.slice(0, -1).map((p) => posix.relative(stage?.workdir ?? '/', posix.resolve(stage?.workdir ?? '/', p)));
    return ['COPY', ...flags, ...sources, paths.at(-1)].join(' ');
  });
}

t.test('the CI image puts the same files in the same places as the Dockerfile, with the same ENV, WORKDIR, USER, EXPOSE, ENTRYPOINT and CMD', async (t) => {
  t.same(asCopies(ciFile), asCopies(userFile), '.ci/Dockerfile is the runtime stage of Dockerfile, instruction by instruction');
});

t.test('the comparison notices a change to either file', async (t) => {
  const changed = readDockerfile(read('.ci/Dockerfile').replace('COPY dist ./dist', 'COPY dist ./lib'));
  t.not(asCopies(changed).join('\n'), asCopies(userFile).join('\n'), 'a different destination is a difference');
  const extra = readDockerfile(`${read('Dockerfile')}\nCOPY examples ./examples\n`);
  t.not(asCopies(ciFile).join('\n'), asCopies(extra).join('\n'), 'a file only the Dockerfile copies is a difference');
});

t.test('both build FROM the BASE_IMAGE build argument, which defaults to node:22-bookworm-slim in the Dockerfile', async (t) => {
  const globalArg = (d: Dockerfile) => d.instructions.find((i) => i.stage === -1 && i.op === 'ARG')?.args;
  t.equal(globalArg(userFile), 'BASE_IMAGE=node:22-bookworm-slim', 'Dockerfile: ARG BASE_IMAGE=node:22-bookworm-slim before the first FROM');
  t.equal(globalArg(ciFile), 'BASE_IMAGE', '.ci/Dockerfile: ARG BASE_IMAGE, given by .ci/product-image');
  for (const [name, d] of [['Dockerfile', userFile], ['.ci/Dockerfile', ciFile]] as const) {
    for (const from of d.instructions.filter((i) => i.op === 'FROM')) t.match(from.args, /^\$\{BASE_IMAGE\}(\s|$)/, `${name}: FROM ${from.args}`);
  }
  t.match(stagingScript, /--build-arg BASE_IMAGE=/, '.ci/product-image passes the base image');
  t.match(stagingScript, /docker build --network=none -f \.ci\/Dockerfile/, '.ci/product-image builds .ci/Dockerfile without network');
});

t.test('CI makes node_modules and dist/ on the host with the commands the Dockerfile runs', async (t) => {
  const userRun = finalStage(userFile).find((i) => i.op === 'RUN' && /\bnpm ci\b/.test(i.args));
  const flags = npmCiFlags(userRun?.args ?? '');
  t.ok(flags.includes('--omit=dev'), `the Dockerfile installs production dependencies only (${flags.join(' ')})`);
  const staged = npmCiFlags(stagingScript);
  t.ok(staged.length > 0, `.ci/product-image runs npm ci (${staged.join(' ')})`);
  t.same(staged.filter((f) => !HOST_ONLY_FLAG.test(f)), flags, 'with the same flags (apart from how it fetches and logs)');
  const build = userFile.instructions.filter((i) => i.stage === userFile.stages.findIndex((s) => s.name === 'build'));
  t.ok(build.some((i) => i.op === 'RUN' && i.args === 'npm run build'), 'the build stage runs npm run build');
  const pkg = JSON.parse(read('package.json')) as { scripts: { build: string } };
  t.equal(pkg.scripts.build, 'tsc -p tsconfig.json && chmod +x dist/src/cli.js', 'npm run build is tsc with tsconfig.json, then the CLI made executable');
  t.match(stagingScript, /tsc -p tsconfig\.json --outDir "\$ctx\/dist" && chmod \+x "\$ctx\/dist\/src\/cli\.js"/,
    '.ci/product-image runs the same into the staged dist/');
});

t.test('every folder .ci/Dockerfile copies from the context is staged there by .ci/product-image (the admin pages too)', async (t) => {
  const made = new Set(['node_modules', 'dist']); // made by npm ci and tsc in the script (checked above)
  const sources = finalStage(ciFile).filter((i) => i.op === 'COPY' && !/--from=/.test(i.args))
    .flatMap((i) => i.args.split(/\s+/).filter((w) => !w.startsWith('--')).slice(0, -1));
  t.ok(sources.includes('services/connector/admin/pages'), 'the image gets the admin pages (admin-pages.ts finds them next to dist/)');
  for (const source of sources.filter((s) => !made.has(s))) {
    const staged = stagingScript.split('\n').some((line) => !line.trimStart().startsWith('#') && new RegExp(`\\bcp\\b.*\\s${source.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\s\\S+)*\\s"\\$ctx/`).test(line));
    t.ok(staged, `${source} is copied into the build context`);
  }
});
