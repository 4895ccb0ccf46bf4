import { createMemoryWindowStore } from "../../core/window/memory-store.ts";
import { windowStoreContract } from "./window-store.contract.ts";

windowStoreContract("in-memory", ({ limits }) =>
  createMemoryWindowStore(limits === undefined ? {} : { limits }),
);
