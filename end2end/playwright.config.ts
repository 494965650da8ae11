import { defineConfig } from "@playwright/test";

// Run through `cargo xtask e2e` (or `cargo xtask test`): it builds the site and the server and
// sets SWITCHBOARD_BIN (the site is built into it).
// Browsers are Debian's Chromium (`apt-get install chromium`); Playwright's own browser
// download does not work on these machines.
export default defineConfig({
  testDir: "tests",
  globalSetup: "./tests/global-setup.ts",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  forbidOnly: !!process.env.CI,
  reporter: "list",
  use: {
    browserName: "chromium",
    headless: true,
    screenshot: "only-on-failure",
    trace: "off",
    launchOptions: {
      executablePath: "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-sync",
      ],
    },
  },
});
