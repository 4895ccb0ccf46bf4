import { realworldSuite } from "./realworld.ts";
import { realworldTemplates } from "./realworld-support.ts";

// The odd-numbered real-world templates (the even ones are in realworld-a.test.ts).
realworldSuite(realworldTemplates().filter((_, i) => i % 2 === 1));
