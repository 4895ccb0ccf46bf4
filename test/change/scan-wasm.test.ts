import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { WASM_SCANNER } from "../../core/change/scan-wasm.ts";
import { SCAN_WASM } from "../../core/change/scan-wasm-binary.ts";
import { binaryModule, compileScanWasm, TARGET } from "../../wasm/build.ts";

/**
 * The intake's WebAssembly scanner: the committed binary is the one its source builds to, and it loads
 * on the Node the project runs on (a silent fall back to the JavaScript scanner would only be slower,
 * so it is checked here). That both scanners give the quick path the same answers is checked by
 * test/change/quick.test.ts, which runs every quick-path property with each.
 */
describe("the WebAssembly scanner", () => {
  it("is built from wasm/scan.ts: rebuilding it gives the committed bytes", async () => {
    const built = compileScanWasm();
    expect(Buffer.from(SCAN_WASM, "base64").equals(built)).toBe(true);
    expect(await readFile(TARGET, "utf8")).toBe(binaryModule(built));
  }, 120_000);

  it("loads here, with SIMD", () => {
    expect(WASM_SCANNER).toBeDefined();
  });
});
