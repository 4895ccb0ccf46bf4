import { realworldSuite } from "./realworld.ts";
import { realworldTemplates } from "./realworld-support.ts";

// The even-numbered real-world templates (the odd ones are in realworld-b.test.ts, run in parallel).
realworldSuite(realworldTemplates().filter((_, i) => i % 2 === 0));
