// A name that reads back as one dotted segment; any other (empty, or holding a dot, a bracket, a quote,
// a backslash, a space or a control character) is written as a quoted JSONPath member: Risk[""].
const PLAIN_NAME = /^[^.[\]"'\\\s\u0000-\u001f\u007f]+$/;

/**
 * The OB Path of the field `name` of the object at `parent`, as every refusal of the API writes it:
 * dotted (Data.Initiation.InstructedAmount), with a bracketed JSON string for a name that is empty or
 * would not read back as one segment (Data["a.b"]).
 */
export function fieldPath(parent: string, name: string): string {
  if (!PLAIN_NAME.test(name)) return `${parent}[${JSON.stringify(name)}]`;
  return parent ? `${parent}.${name}` : name;
}

/**
 * The OB Path of the item at `index` of the array at `parent` (Data.ControlParameters.PeriodicLimits[0]).
 * Used for items that are objects, or that should have been: a string or number item is reported on its
 * array, as class-validator's `each` constraints are.
 */
export function itemPath(parent: string, index: number | string): string {
  return `${parent}[${index}]`;
}
