/**
 * CloudFormation's property paths are JSON pointers relative to a resource's `Properties`
 * (`/RedrivePolicy/maxReceiveCount`, `/SecurityGroupIngress/2`). `""` is the whole resource.
 * @see https://datatracker.ietf.org/doc/html/rfc6901
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_PropertyDifference.html
 */

/** The segments of a property path, or undefined when it is not a JSON pointer. */
export function parsePointer(pointer: string): string[] | undefined {
  if (pointer === "") return [];
  if (!pointer.startsWith("/")) return undefined;
  const segments = pointer
    .slice(1)
    .split("/")
    .map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"));
  return segments.some((s) => s === "") ? undefined : segments;
}

/** A sequence index segment (`"2"`), or undefined. */
export function indexOf(segment: string): number | undefined {
  return /^(0|[1-9]\d*)$/.test(segment) ? Number(segment) : undefined;
}

/** The value at a pointer's segments inside plain data, or undefined. */
export function valueAt(value: unknown, segments: readonly string[]): unknown {
  let current = value;
  for (const segment of segments) {
    if (Array.isArray(current)) {
      const i = indexOf(segment);
      current = i === undefined ? undefined : current[i];
    } else if (typeof current === "object" && current !== null) {
      current = (current as Record<string, unknown>)[segment];
    } else return undefined;
  }
  return current;
}
