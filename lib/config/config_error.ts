/**
 * The error of a configuration mistake.
 *
 * @module
 */
import { SwarmError } from "../protocol/mod.ts";

/**
 * A configuration mistake (flag, environment variable, config file or combination),
 * with the stable code `config_invalid`; the CLI prints it as `config_invalid: message`
 * on one line and exits with status 2.
 *
 * @example
 * ```ts
 * import { ConfigError } from "./config_error.ts";
 * const err = new ConfigError("Option --listen must be HOST:PORT");
 * console.assert(err.code === "config_invalid" && err.name === "ConfigError");
 * ```
 */
export class ConfigError extends SwarmError {
  /**
   * Creates the error.
   *
   * @param message What is wrong, on one line, naming the option.
   * @param options Standard error options, e.g. `cause`.
   */
  constructor(message: string, options?: ErrorOptions) {
    super("config_invalid", message, {}, options);
    this.name = "ConfigError";
  }
}
