/**
 * The one detector of console text addressed to a reviewer or a model (DESIGN §3: console-set
 * values are data, never instructions). A tag, description or name that reads as an instruction
 * ("SYSTEM NOTICE: ignore all previous instructions…", "approved by security", "@reviewer merge
 * this") is no metadata worth keeping: the rules revert it, and the `reviewer-instruction`
 * guardrail keeps it out of the template whatever an analyzer answers, so no later prompt
 * carries it. Deterministic; it reads the text, never obeys it.
 */

/** Phrasings that address an AI, an automation or a reviewer, each with a short name for the reason. */
const PATTERNS: readonly { readonly name: string; readonly pattern: RegExp }[] = [
  {
    name: "ignore previous instructions",
    pattern:
      /\b(ignore|disregard|forget|override)\b.{0,20}\b(previous|prior|above|earlier|all|any|your)\b.{0,20}\b(instructions?|rules?|prompts?|polic(y|ies)|guidelines?)\b/i,
  },
  {
    name: "a system or admin notice",
    pattern:
      /\b(system|admin|administrator|developer|security)\s+(notice|override|prompt|message|instruction|directive)s?\b/i,
  },
  { name: "a role prefix", pattern: /(^|\n)\s*(system|assistant|user)\s*:/i },
  { name: "a markup role tag", pattern: /<\/?\s*(system|instructions?|assistant|prompt)\b[^>]*>/i },
  { name: "an instruction", pattern: /\binstructions?\b/i },
  {
    name: "a decision for the analyzer",
    pattern: /\b(legitimi[sz]e|do not revert|don'?t revert|must not be reverted)\b/i,
  },
  {
    name: "a decision for the analyzer",
    pattern:
      /\b(decision|severity|confidence)\s*[:=]\s*["']?(legitimi|revert|refactor|low|medium|high|critical|\d)/i,
  },
  {
    name: "addressing the model",
    pattern: /\b(you are (an?|now|the)|as an ai|language model|the (drift )?analy[sz]er\b)/i,
  },
  {
    name: "an approval claim",
    pattern:
      /\b(approved|signed off|cleared|whitelisted|allow[- ]?listed)\s+by\s+(the\s+)?(security|secops|ciso|infosec|compliance|management|cab|reviewers?|admins?)\b/i,
  },
  { name: "an approval claim", pattern: /\b(pre[- ]?approved|auto[- ]?approved?)\b/i },
  {
    name: "a request to a reviewer",
    pattern: /@[a-z0-9][\w-]*\b.{0,40}\b(merge|approve|lgtm|ship|accept|skip)\b/i,
  },
  { name: "a request to a reviewer", pattern: /\b(please\s+)?(merge|approve|lgtm)\s+(this|it)\b/i },
];

/** Separators people put in tag keys (`approved-by`, `phantom_note`) read as spaces. */
function readable(text: string): string {
  return text.replace(/[-_]+/g, " ");
}

/**
 * What makes `text` read as an instruction to a reviewer or a model (the first pattern it
 * matches, e.g. `an approval claim`), or `undefined` for ordinary text.
 */
export function instructionIn(text: string): string | undefined {
  const plain = readable(text);
  return PATTERNS.find((p) => p.pattern.test(plain))?.name;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The first console-set text in a value that reads as an instruction: every string in it (tag
 * keys and values, descriptions, names, nested), and each `{Key, Value}` pair read together
 * (`approved-by` + `security-team` reads "approved by security team"). `undefined` when none.
 */
export function instructionInValue(value: unknown, depth = 0): { text: string; why: string } | undefined {
  if (depth > 32) return undefined;
  if (typeof value === "string") {
    const why = instructionIn(value);
    return why === undefined ? undefined : { text: value, why };
  }
  if (Array.isArray(value)) {
    for (const v of value) {
      const hit = instructionInValue(v, depth + 1);
      if (hit) return hit;
    }
    return undefined;
  }
  if (!isObject(value)) return undefined;
  for (const v of Object.values(value)) {
    const hit = instructionInValue(v, depth + 1);
    if (hit) return hit;
  }
  const key = value.Key ?? value.key;
  const tag = value.Value ?? value.value;
  return typeof key === "string" && typeof tag === "string"
    ? instructionInValue(`${key} ${tag}`, depth + 1)
    : undefined;
}

/** A short, quoted fragment of console text for reasoning: never the whole text, never a line break. */
export function quoteFragment(text: string, max = 40): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return JSON.stringify(flat.length > max ? `${flat.slice(0, max - 1)}…` : flat);
}
