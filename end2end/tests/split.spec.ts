import { browse, expect, firstLogIn, startServer, test } from "./server";

// The console's pages load apart: the Dashboard comes with the bundle, every other page's piece
// is fetched the first time it is visited (on a click, or right after the bundle on a direct
// load), and a page's controls wait, disabled, until it is live.

/** The lazily loaded pieces of the bundle a page has fetched so far. */
function pieces(urls: string[]): string[] {
  return urls.map((u) => new URL(u).pathname.split("/").pop() ?? "").filter((f) => /^(split_|chunk_).*\.wasm$/.test(f));
}

test("the first load carries the dashboard only; other pages arrive when first visited", async ({ browser }) => {
  const server = await startServer();
  const admin = await browse(browser, server.baseURL);
  try {
    const fetched: string[] = [];
    admin.page.on("request", (r) => fetched.push(r.url()));
    await firstLogIn(admin.page, server.adminEmail);
    // The dashboard after the password page: the settings page's piece is not among them.
    expect(pieces(fetched).some((f) => f.includes("admin_settings"))).toBe(false);

    await admin.page.getByTestId("nav-settings").click();
    await expect(admin.page).toHaveURL(/\/admin\/settings$/);
    await expect(admin.page.getByTestId("settings-live-support")).toBeEnabled();
    expect(pieces(fetched).some((f) => f.includes("admin_settings"))).toBe(true);

    // Loaded directly, the page shows at once, its controls disabled until it is live: a choice
    // made then is not undone by hydration.
    const direct = await admin.context.newPage();
    await direct.goto("/admin/settings");
    await expect(direct.getByTestId("settings-live-support")).toBeEnabled();
    await direct.getByTestId("settings-live-support").selectOption("off");
    await direct.getByTestId("settings-save").click();
    await expect(direct.getByTestId("settings-saved")).toBeVisible();
    await direct.reload();
    await expect(direct.getByTestId("settings-live-support")).toHaveValue("off");
    expect(admin.errors).toEqual([]);
  } finally {
    await admin.context.close();
    await server.stop();
  }
});
