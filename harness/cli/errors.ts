/** A user-facing CLI error: printed as one line `rvtramp VERB: message`, never with a stack. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}
