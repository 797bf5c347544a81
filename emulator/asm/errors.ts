/** Assembly errors: one class, with the source line when there is one. */
export class AsmError extends Error {
  /** 1-based source line (text front end only). */
  readonly line: number | undefined;

  constructor(message: string, line?: number) {
    super(line === undefined ? message : `line ${line}: ${message}`);
    this.name = 'AsmError';
    this.line = line;
  }
}
