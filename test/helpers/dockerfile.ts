// A Dockerfile as data, for tests that compare it with the repository and with .ci/Dockerfile:
// logical lines (continuations joined, comments dropped), each instruction with its stage, and
// each stage's name and WORKDIR.
import { posix } from 'node:path';

export interface Instruction { op: string; args: string; stage: number }
export interface Stage { name?: string; workdir: string }
export interface Dockerfile { instructions: Instruction[]; stages: Stage[] }

export function readDockerfile(text: string): Dockerfile {
  const logical: string[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.endsWith('\\')) { pending += `${line.slice(0, -1)} `; continue; }
    logical.push(pending + line);
    pending = '';
  }
  const instructions: Instruction[] = [];
  const stages: Stage[] = [];
  for (const l of logical) {
    const [op, ...rest] = l.split(/\s+/);
    const args = rest.join(' ');
    if (op.toUpperCase() === 'FROM') {
      const as = /\s+AS\s+(\S+)\s*$/i.exec(args);
      stages.push({ name: as?.[1], workdir: '/' });
    }
    if (op.toUpperCase() === 'WORKDIR' && stages.length > 0) stages[stages.length - 1].workdir = posix.resolve(stages[stages.length - 1].workdir, args);
    instructions.push({ op: op.toUpperCase(), args, stage: stages.length - 1 });
  }
  return { instructions, stages };
}

/** The instructions of the last stage (the image that is run), its FROM included. */
export function finalStage(d: Dockerfile): Instruction[] {
  return d.instructions.filter((i) => i.stage === d.stages.length - 1);
}

/** The exec (JSON) form of ENTRYPOINT/CMD as a list; [] for none. */
export function jsonForm(i: Instruction | undefined): string[] {
  if (!i) return [];
  const v = JSON.parse(i.args) as unknown;
  return Array.isArray(v) ? v.map(String) : [];
}
