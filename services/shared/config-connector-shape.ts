// A connector may be written in two shapes: the one-subaccount shape (subaccount, regionHost,
// locationID, cloudUser, cloudPassword and systemMappings directly on the connector: every file
// before the admin API) and the SCC's own model, `subaccounts[]`, one entry per subaccount the
// instance serves. Loading turns the first into the second, so the rest of the code knows one
// shape; problems found in a normalised connector are reported at the path the file used.
import { LEGACY_CONNECTOR_KEYS } from './config-schema.js';

export interface ShapeResult {
  problems: string[];
  /** Indexes of the connectors written in the one-subaccount shape. */
  legacy: Set<number>;
}

/** Rewrites `work.connectors[]` in place (work is a private copy of the input). */
export function normalizeConnectorShapes(work: { connectors?: unknown }): ShapeResult {
  const problems: string[] = [];
  const legacy = new Set<number>();
  if (!Array.isArray(work.connectors)) return { problems, legacy };
  work.connectors.forEach((k: Record<string, unknown>, i) => {
    if (k === null || typeof k !== 'object' || Array.isArray(k)) return;
    const found = LEGACY_CONNECTOR_KEYS.filter((key) => key in k);
    if ('subaccounts' in k) {
      if (found.length > 0) {
        problems.push(`connectors[${i}]: ${found.join(', ')} and subaccounts together: write either ${LEGACY_CONNECTOR_KEYS.join(', ')} `
          + '(a connector with one subaccount) or subaccounts[] (one entry per subaccount), not both');
      }
      return;
    }
    if (found.length === 0) return;
    const subaccount: Record<string, unknown> = {};
    for (const key of found) {
      subaccount[key] = k[key];
      delete k[key];
    }
    k.subaccounts = [subaccount];
    legacy.add(i);
  });
  return { problems, legacy };
}

/** `connectors[2].subaccounts[0].systemMappings[1].x: …` → `connectors[2].systemMappings[1].x: …` for a one-subaccount connector. */
export function problemAtFilePath(problem: string, legacy: ReadonlySet<number>): string {
  if (legacy.size === 0) return problem;
  return problem.replace(/^connectors\[(\d+)\]\.subaccounts(?:\[0\])?(?=[.:])/, (m, i: string) => (legacy.has(Number(i)) ? `connectors[${i}]` : m));
}
