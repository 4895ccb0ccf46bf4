import { propertySuite, yamlCases } from "./corpus-properties.ts";

// Property-based rectification on the even-numbered corpus templates (the odd ones and the JSON
// renderings are in properties-b.test.ts, so the two files run in parallel).
propertySuite(yamlCases.filter((_, i) => i % 2 === 0));
