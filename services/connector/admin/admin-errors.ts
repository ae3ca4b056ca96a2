// The admin API's errors as the SCC answers them (scc-rest-api.md §1): a JSON body
// `{ type, message }`, the status from the type (this table, and nowhere else). The texts SAP's
// recordings show are used verbatim: `Subaccount with value '<sa>@<rh>' does not exist`. The texts
// for missing mappings, resources and domains, and the duplicate texts, are UNCONFIRMED; they
// follow the same pattern.
import { ConfigError } from '../../shared/config-load.js';
import { ConfigFileConflict } from '../../shared/config-store.js';

const STATUS = {
  INVALID_REQUEST: 400,
  BAD_REQUEST: 400,
  FORBIDDEN_REQUEST: 403,
  NOT_FOUND: 404,
  INVALID_CONFIGURATION: 409,
  ILLEGAL_STATE: 409,
  RUNTIME_FAILURE: 500,
} as const;

export type SccErrorType = keyof typeof STATUS;

export class SccApiError extends Error {
  readonly statusCode: number;
  constructor(readonly type: SccErrorType, message: string, status?: number) {
    super(message);
    this.name = 'SccApiError';
    this.statusCode = status ?? STATUS[type];
  }

  toJSON(): { type: SccErrorType; message: string } {
    return { type: this.type, message: this.message };
  }
}

export const notFound = {
  subaccount: (subaccount: string, regionHost: string) => new SccApiError('NOT_FOUND', `Subaccount with value '${subaccount}@${regionHost}' does not exist`),
  systemMapping: (virtualHost: string, virtualPort: string) => new SccApiError('NOT_FOUND', `System mapping with value '${virtualHost}:${virtualPort}' does not exist`),
  resource: (id: string) => new SccApiError('NOT_FOUND', `Resource with value '${id}' does not exist`),
  domainMapping: (internalDomain: string) => new SccApiError('NOT_FOUND', `Domain mapping with value '${internalDomain}' does not exist`),
  connector: (name: string) => new SccApiError('NOT_FOUND', `Connector '${name}' is not in the configuration`),
};

export const duplicate = {
  subaccount: (subaccount: string, regionHost: string) => new SccApiError('INVALID_CONFIGURATION', `Subaccount with value '${subaccount}@${regionHost}' already exists`),
  systemMapping: (virtualHost: string, virtualPort: string) => new SccApiError('INVALID_CONFIGURATION', `System mapping with value '${virtualHost}:${virtualPort}' already exists`),
  resource: (id: string) => new SccApiError('INVALID_CONFIGURATION', `Resource with value '${id}' already exists`),
  domainMapping: (internalDomain: string) => new SccApiError('INVALID_CONFIGURATION', `Domain mapping with value '${internalDomain}' already exists`),
};

export function invalid(message: string): SccApiError {
  return new SccApiError('INVALID_REQUEST', message);
}

/**
 * What went wrong while applying a change, as the API answers it: the whole-config validation
 * (its `path: message` problems, named by the field), an invalid hand edit on disk, a write error.
 */
export function fromChangeFailure(err: unknown): SccApiError {
  if (err instanceof SccApiError) return err;
  if (err instanceof ConfigFileConflict) return new SccApiError('INVALID_CONFIGURATION', err.message);
  if (err instanceof ConfigError) return invalid(err.problems.map(fieldProblem).join('; '));
  return new SccApiError('RUNTIME_FAILURE', `The configuration could not be saved: ${(err as Error).message}`);
}

/** `connectors[0].subaccounts[1].systemMappings[2].localHost: Expected …` → `localHost: Expected …` */
function fieldProblem(problem: string): string {
  const m = /^[^:\s]*?([A-Za-z]+)(?:\[\d+\])*: (.*)$/.exec(problem);
  return m ? `${m[1]}: ${m[2]}` : problem;
}
