/**
 * The text SQL expression `text` (a parameter such as `$1`, or a text column) as a uuid, or NULL when it
 * is not one. Compared with a uuid column it keeps the column's index usable, where `column::text = $1`
 * casts every row and reads the whole table (a sequential scan of psu or account on each authorisation
 * until 7 December 2026); and a malformed id matches nothing instead of failing the statement, as a bare
 * `$1::uuid` would.
 */
export function uuidOrNull(text: string): string {
  return `(CASE WHEN ${text} ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN (${text})::uuid END)`;
}
