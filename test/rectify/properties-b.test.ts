import { jsonCases, propertySuite, yamlCases } from "./corpus-properties.ts";

// Property-based rectification on the odd-numbered corpus templates and the JSON renderings.
propertySuite([...yamlCases.filter((_, i) => i % 2 === 1), ...jsonCases]);
