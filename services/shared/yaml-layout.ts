// The `yaml` package keeps comments and order when it writes a Document back, but not every bit
// of layout: aligned trailing comments (`port: 1      # why`) come back as `port: 1 # why`.
// keepLayout puts the user's own lines back wherever the regenerated text says the same thing:
// lines are matched (ignoring the spaces before a `#`, at the end and around flow brackets), every matched line is
// taken from the original, and only lines that really changed come from the regenerated text.
// If the result would not parse to exactly what the regenerated text says, it is not used.
import { parse } from 'yaml';
import { isDeepStrictEqual } from 'node:util';

/** Beyond this many line pairs in the changed middle, the regenerated middle is used as it is. */
const MAX_PAIRS = 400_000;

/** What a line says, ignoring the spacing the `yaml` package does not keep (before comments, inside flow collections). */
const normalize = (line: string): string => line.replace(/[ \t]+$/, '').replace(/[ \t]+#/g, ' #').replace(/[ \t]*([[\]{},])[ \t]*/g, '$1');

export function keepLayout(original: string, regenerated: string): string {
  if (original === regenerated) return regenerated;
  const a = original.split('\n');
  const b = regenerated.split('\n');
  const na = a.map(normalize);
  const nb = b.map(normalize);
  let head = 0;
  while (head < a.length && head < b.length && na[head] === nb[head]) head += 1;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && na[a.length - 1 - tail] === nb[b.length - 1 - tail]) tail += 1;
  const middle = matchMiddle(na.slice(head, a.length - tail), nb.slice(head, b.length - tail));
  const out = [...a.slice(0, head)];
  for (let j = 0; j < middle.length; j += 1) out.push(middle[j] < 0 ? b[head + j] : a[head + middle[j]]);
  out.push(...a.slice(a.length - tail));
  const result = out.join('\n');
  try {
    return isDeepStrictEqual(parse(result), parse(regenerated)) ? result : regenerated;
  } catch {
    return regenerated;
  }
}

/** For each line of `b`, the index of the line of `a` it is matched to (longest common subsequence), or -1. */
function matchMiddle(a: string[], b: string[]): number[] {
  const match = new Array<number>(b.length).fill(-1);
  if (a.length === 0 || b.length === 0 || a.length * b.length > MAX_PAIRS) return match;
  const w = b.length + 1;
  const lcs = new Uint32Array((a.length + 1) * w);
  for (let i = a.length - 1; i >= 0; i -= 1) {
    for (let j = b.length - 1; j >= 0; j -= 1) {
      lcs[i * w + j] = a[i] === b[j] ? lcs[(i + 1) * w + j + 1] + 1 : Math.max(lcs[(i + 1) * w + j], lcs[i * w + j + 1]);
    }
  }
  for (let i = 0, j = 0; i < a.length && j < b.length;) {
    if (a[i] === b[j]) { match[j] = i; i += 1; j += 1; } else if (lcs[(i + 1) * w + j] >= lcs[i * w + j + 1]) i += 1; else j += 1;
  }
  return match;
}
