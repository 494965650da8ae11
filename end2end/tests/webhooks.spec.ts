import { createServer, IncomingHttpHeaders, Server as HttpServer } from "node:http";
import { AddressInfo } from "node:net";
import { browse, expect, firstLogIn, startServer, test, Server, visitorStarts } from "./server";

// Webhooks (P4): an admin registers a receiver on the Webhooks page; a visitor's chat is
// delivered to it, signed, and the delivery log shows it delivered.

let server: Server;
let receiver: HttpServer;
const received: { headers: IncomingHttpHeaders; body: string }[] = [];

test.beforeAll(async () => {
  server = await startServer();
  receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      received.push({ headers: req.headers, body });
      res.writeHead(204, { connection: "close" });
      res.end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
});
test.afterAll(async () => {
  await server?.stop();
  await new Promise<void>((resolve) => receiver?.close(() => resolve()));
});

test("an admin registers a webhook and sees its deliveries", async ({ browser }) => {
  const ada = await browse(browser, server.baseURL);
  const vera = await browse(browser, server.baseURL);
  try {
    await firstLogIn(ada.page, server.adminEmail);
    await ada.page.getByTestId("nav-webhooks").click();
    await expect(ada.page.getByRole("heading", { name: "Webhooks" })).toBeVisible();
    await expect(ada.page.getByTestId("webhooks-none")).toBeVisible();

    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    await ada.page.getByTestId("webhook-url").fill(url);
    // Loopback is private: refused until allowed.
    await ada.page.getByTestId("add-webhook").click();
    await expect(ada.page.getByTestId("webhook-error")).toContainText("private");
    await ada.page.getByTestId("webhook-allow-private").check();
    await ada.page.getByTestId("add-webhook").click();
    await expect(ada.page.getByTestId("webhook")).toHaveCount(1);
    await expect(ada.page.getByTestId("webhook")).toContainText(url);
    await ada.page.getByTestId("show-secret").click();
    await expect(ada.page.getByTestId("webhook-secret")).toHaveText(/^whsec_/);

    await visitorStarts(vera.page, "Vera", "Do you ship to Norway?");
    // Deliveries go out side by side, so they may arrive in any order.
    const started = () => received.find((r) => JSON.parse(r.body).type === "chat.started");
    await expect.poll(() => started() !== undefined, { timeout: 15_000 }).toBe(true);
    const first = started()!;
    expect(first.headers["webhook-id"]).toMatch(/^msg_/);
    expect(first.headers["webhook-signature"]).toMatch(/^v1,/);

    await expect(async () => {
      await ada.page.getByTestId("refresh-deliveries").click();
      await expect(ada.page.getByTestId("delivery").first()).toHaveAttribute("data-state", "delivered", {
        timeout: 1_000,
      });
    }).toPass({ timeout: 15_000 });

    // Paused, then removed.
    await ada.page.getByTestId("toggle-webhook").click();
    await expect(ada.page.getByTestId("webhook")).toHaveAttribute("data-enabled", "false");
    await ada.page.getByTestId("delete-webhook").click();
    await ada.page.getByTestId("confirm-delete-webhook").click();
    await expect(ada.page.getByTestId("webhooks-none")).toBeVisible();
    // The refused save answered 400, as it should; nothing else went wrong.
    expect(ada.errors.filter((e) => !e.includes("status of 400"))).toEqual([]);
  } finally {
    await ada.context.close();
    await vera.context.close();
  }
});
