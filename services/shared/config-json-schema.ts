// The config schema as JSON Schema for editor completion (config/scc-sim.schema.json,
// written by `npm run schema`; a test keeps the committed file in step with the code).
import { ConfigFileSchema } from './config-schema.js';

/** The JSON Schema for editors: a property with a default is optional to write. */
export function editorSchema(): object {
  const relax = (node: any): any => {
    if (Array.isArray(node)) return node.map(relax);
    if (!node || typeof node !== 'object') return node;
    const out: any = {};
    for (const [k, v] of Object.entries(node)) out[k] = relax(v);
    if (Array.isArray(out.required) && out.properties) {
      out.required = out.required.filter((name: string) => out.properties[name]?.default === undefined);
      if (out.required.length === 0) delete out.required;
    }
    return out;
  };
  return { $schema: 'http://json-schema.org/draft-07/schema#', ...relax(JSON.parse(JSON.stringify(ConfigFileSchema))) };
}

