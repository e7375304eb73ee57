/**
 * The positional parameters ($1, $2, ...) of a statement built once from its parts and run many times:
 * each part asks for the values it needs, and a value read from the call's input gets one $n however many
 * parts use it (PostgreSQL refuses a statement with a parameter no part references, so none is allocated
 * before it is asked for).
 */
export class StatementParameters<Input> {
  private readonly sources: Array<(input: Input) => unknown> = [];
  private readonly named = new Map<string, string>();

  /** The $n of a value read from each call's input, under `name`. */
  of(name: string, read: (input: Input) => unknown): string {
    let reference = this.named.get(name);
    if (reference === undefined) {
      this.sources.push(read);
      reference = `$${this.sources.length}`;
      this.named.set(name, reference);
    }
    return reference;
  }

  /** The $n of a value fixed when the statement is built (a rule's threshold). */
  constant(value: unknown): string {
    this.sources.push(() => value);
    return `$${this.sources.length}`;
  }

  /** The statement's values for one call, in $n order. */
  values(input: Input): unknown[] {
    return this.sources.map((read) => read(input));
  }
}
