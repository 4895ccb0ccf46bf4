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

/**
 * Judges a value found at `path` and `depth` inside a document (a streamed trail log file's record,
 * see stream.ts): the same candidates and verdicts as judging the whole document would give there.
 */
export function judgeCandidates(
  value: unknown,
  context: IntakeContext,
  path: string,
  depth: number,
): Judged[] {
  return candidates(value, path, depth).map(({ raw, path: at }) => ({
    path: at,
    judgement: judge(raw, context),
  }));
}
