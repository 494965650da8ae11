import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Browser, BrowserContext, Page, expect, test as base } from "@playwright/test";

/** A running Switchboard server on a fresh SQLite database. */
export interface Server {
  /** e.g. `http://127.0.0.1:43123` (no trailing slash). */
  baseURL: string;
  /** The first admin's email, printed by the server on first start. */
  adminEmail: string;
  /** The first admin's initial password, when the server printed it. */
  adminPassword?: string;
  /** Everything the server printed so far (stdout and stderr). */
  output(): string;
  /**
   * Creates another operator in this server's database with `switchboard add-operator`
   * (password "password", to be changed at first login).
   */
  addOperator(email: string, name: string, role?: "operator" | "supervisor" | "admin"): void;
  /** SIGINT (graceful shutdown), then wait for exit; SIGKILL after 10 s. Removes the database. */
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;
const LISTENING = /listening on (http:\/\/\S+)/;
const FIRST_ADMIN = /first admin: (\S+@\S+)/i;
const PASSWORD = /password: ([^\s)]+)/i;
// Log lines may be coloured.
const ANSI = /\x1b\[[0-9;]*m/g;

/**
 * Starts `$SWITCHBOARD_BIN --bind 127.0.0.1:0 --database-url sqlite://<temp>/switchboard.db --demo`
 * (and `extraArgs`)
 * in a fresh empty directory, with no site folder anywhere it could find one (the site is
 * built into the binary), and resolves once it has printed both its address and the first
 * admin's login.
 */
export function startServer(extraArgs: string[] = []): Promise<Server> {
  const bin = process.env.SWITCHBOARD_BIN;
  if (!bin) {
    return Promise.reject(new Error("SWITCHBOARD_BIN is not set; run `cargo xtask e2e`"));
  }
  const dir = mkdtempSync(join(tmpdir(), "switchboard-e2e-"));
  const databaseURL = `sqlite://${join(dir, "switchboard.db")}`;
  const args = ["--bind", "127.0.0.1:0", "--database-url", databaseURL, "--demo", ...extraArgs];
  const addOperator = (email: string, name: string, role = "operator") => {
    execFileSync(bin, ["add-operator", email, name, role, "--database-url", databaseURL], {
      env: process.env,
      stdio: "pipe",
    });
  };
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    if (key.startsWith("LEPTOS_") || key === "SWITCHBOARD_SITE_ROOT") delete env[key];
  }
  const child = spawn(bin, args, { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });

  let output = "";
  let pending = "";
  let baseURL: string | undefined;
  let adminEmail: string | undefined;
  let adminPassword: string | undefined;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });

  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGINT");
      const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
    cleanup();
  };

  return new Promise<Server>((resolve, reject) => {
    let settled = false;
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void stop().finally(() =>
        reject(new Error(`${why}\n--- ${bin} ${args.join(" ")} printed:\n${output}`)),
      );
    };
    const timer = setTimeout(
      () => fail(`the server did not report its address and first admin within ${START_TIMEOUT_MS / 1000} s`),
      START_TIMEOUT_MS,
    );

    const onData = (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      output += text;
      pending += text;
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const raw of lines) {
        const line = raw.replace(ANSI, "");
        baseURL ??= LISTENING.exec(line)?.[1]?.replace(/\/+$/, "");
        const admin = FIRST_ADMIN.exec(line);
        if (admin && !adminEmail) {
          adminEmail = admin[1].replace(/[,.;]+$/, "");
          adminPassword = PASSWORD.exec(line)?.[1];
        }
      }
      if (!settled && baseURL && adminEmail) {
        settled = true;
        clearTimeout(timer);
        resolve({
          baseURL,
          adminEmail,
          adminPassword,
          output: () => output,
          addOperator,
          stop,
        });
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("error", (err) => fail(`cannot start ${bin}: ${err.message}`));
    child.once("exit", (code, signal) =>
      fail(`the server exited before it was ready (code ${code}, signal ${signal})`),
    );
  });
}

/**
 * A browser context on the server, with the page's errors collected (favicon misses aside),
 * Content-Security-Policy violations among them: the console and the demo site run under
 * strict policies, so every test that expects no errors also shows none was violated.
 */
export interface Browsing {
  context: BrowserContext;
  page: Page;
  errors: string[];
}

export async function browse(browser: Browser, baseURL: string): Promise<Browsing> {
  const context = await browser.newContext({ baseURL, viewport: { width: 1280, height: 800 } });
  const errors: string[] = [];
  await context.exposeBinding("__switchboardCspViolation", (_source, text: string) => {
    errors.push(`CSP violation: ${text}`);
  });
  await context.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (event) => {
      const report = (window as unknown as { __switchboardCspViolation?: (text: string) => void })
        .__switchboardCspViolation;
      report?.(`${event.violatedDirective} refused ${event.blockedURI || "inline"} (${event.sourceFile}:${event.lineNumber})`);
    });
  });
  const page = await context.newPage();
  page.on("pageerror", (err) => errors.push(err.message));
  page.on("console", (msg) => {
    if (msg.type() === "error" && !msg.text().includes("favicon")) errors.push(msg.text());
  });
  return { context, page, errors };
}

/**
 * The visitor opens the bubble on the demo page and starts a chat, which then waits.
 */
export async function visitorStarts(page: Page, name: string, message = `Hello, I am ${name}`) {
  await page.goto("/demo");
  await page.getByTestId("sb-launcher").click();
  await page.getByTestId("sb-name").fill(name);
  await page.getByTestId("sb-first-message").fill(message);
  await page.getByTestId("sb-start").click();
  await expect(page.getByTestId("sb-waiting")).toBeVisible();
}

/**
 * Logs in for the first time with the default password, chooses a new one, waits for the live
 * console, and answers the chat name it shows.
 */
export async function firstLogIn(page: Page, email: string): Promise<string> {
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill("password");
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page).toHaveURL(/\/password$/);
  await page.getByLabel("Current password").fill("password");
  await page.getByLabel("New password", { exact: true }).fill("operator-secret-1");
  await page.getByLabel("Repeat the new password").fill("operator-secret-1");
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
  await expect(page.getByTestId("live-dot")).toHaveAttribute("data-live", "true");
  return (await page.getByTestId("me-name").innerText()).trim();
}

/**
 * Playwright's `test` with a `server` fixture: one server (and database) per worker, shared by
 * the tests of that worker; `baseURL` points at it, so `page.goto("/")` and `request.get("/")`
 * reach it. Tests that need a pristine database can call `startServer()` themselves.
 */
export const test = base.extend<Record<never, never>, { server: Server }>({
  server: [
    // Playwright requires the (empty) destructuring pattern.
    async ({}, use) => {
      const server = await startServer();
      try {
        await use(server);
      } finally {
        await server.stop();
      }
    },
    { scope: "worker", timeout: START_TIMEOUT_MS + STOP_TIMEOUT_MS },
  ],
  baseURL: async ({ server }, use) => {
    await use(server.baseURL);
  },
});

export { expect } from "@playwright/test";
