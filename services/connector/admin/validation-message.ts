// ajv's errors for a request body, as one message that names the field (the SCC answers
// INVALID_REQUEST "as a rule" for missing or invalid values: scc-rest-api.md §1).
import type { FastifySchemaValidationError } from 'fastify/types/schema.js';

const field = (instancePath: string) => instancePath.replace(/^\//, '').replace(/\//g, '.');

export function validationMessage(errors: FastifySchemaValidationError[]): string {
  const unknown = errors.find((e) => e.keyword === 'additionalProperties');
  if (unknown) return `Unknown field '${field(`${unknown.instancePath}/${String(unknown.params.additionalProperty)}`)}'`;
  const missing = errors.find((e) => e.keyword === 'required');
  if (missing) return `Missing field '${field(`${missing.instancePath}/${String(missing.params.missingProperty)}`)}'`;
  // Of the rest, the error on the deepest field (a union reports each alternative, then itself).
  const e = [...errors].sort((a, b) => b.instancePath.length - a.instancePath.length)[0];
  if (e === undefined) return 'The request body is not valid';
  if (e.instancePath === '') return 'The request body must be a JSON object';
  const name = field(e.instancePath);
  const union = errors.some((x) => x.keyword === 'anyOf' && x.instancePath === e.instancePath);
  return union ? `Invalid value for field '${name}'` : `Invalid value for field '${name}': ${e.message}`;
}
