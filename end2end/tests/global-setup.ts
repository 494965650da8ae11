import { existsSync } from "node:fs";

const HOW = "run the end-to-end tests with `cargo xtask e2e` (it builds and configures everything)";

// Fails early, with a hint, instead of 60 s per test waiting for a server that cannot start.
export default function globalSetup(): void {
  const bin = process.env.SWITCHBOARD_BIN;
  if (!bin) throw new Error(`SWITCHBOARD_BIN is not set; ${HOW}`);
  if (!existsSync(bin)) throw new Error(`SWITCHBOARD_BIN=${bin} does not exist; ${HOW}`);
  if (!existsSync("/usr/bin/chromium")) {
    throw new Error("/usr/bin/chromium is missing: apt-get install -y chromium (as root)");
  }
}
