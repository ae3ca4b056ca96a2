// The `path: message` problems parseConfig reports for an input ([] when it is valid).
import { ConfigError, parseConfig } from '../../services/shared/config-load.js';

export function problemsOf(input: unknown): string[] {
  try {
    parseConfig(input);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}
