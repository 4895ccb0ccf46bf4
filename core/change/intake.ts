import { type IntakeContext, type Judgement, judge } from "./classify.ts";
import { candidates } from "./decode.ts";

/** A judgement with the position of its record inside the parsed document (`""` for a lone record). */
export interface Judged {
  readonly path: string;
  readonly judgement: Judgement;
}

/**
 * Judges every record in one parsed JSON document (any accepted shape), in document order.
 * Each record is judged on its own; one bad record never affects its neighbours.
 */
export function judgeDocument(value: unknown, context: IntakeContext): Judged[] {
  return candidates(value).map(({ raw, path }) => ({ path, judgement: judge(raw, context) }));
}
