import { expect, test } from "./server";

test("the console page renders", async ({ page }) => {
  const response = await page.goto("/");
  expect(response?.ok(), `GET / answered ${response?.status()}`).toBeTruthy();
  expect(await page.content()).toContain("Switchboard");
});

test("the widget loader is served as JavaScript", async ({ request }) => {
  const response = await request.get("/widget/loader.js");
  expect(response.status()).toBe(200);
  expect(response.headers()["content-type"]).toMatch(/javascript/);
});
