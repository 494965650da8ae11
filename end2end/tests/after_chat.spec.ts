import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { browse, expect, firstLogIn, startServer, test, Server, visitorStarts } from "./server";
import { startSmtpSink, SmtpSink } from "./smtp";

// After the chat (V10, V12): the visitor rates the chat and has its transcript mailed (a real
// SMTP server on loopback receives it) and downloads it; the admin's Email page shows the mail
// sent. Everything on one server with mail set up.

let server: Server;
let smtp: SmtpSink;

test.beforeAll(async () => {
  smtp = await startSmtpSink();
  server = await startServer([
    "--smtp-host",
    "127.0.0.1",
    "--smtp-port",
    String(smtp.port),
    "--smtp-tls",
    "none",
    "--smtp-from",
    "Support <support@example.com>",
  ]);
});
test.afterAll(async () => {
  await server?.stop();
  await smtp?.stop();
});

test("the visitor rates the chat, mails and downloads its transcript", async ({ browser }) => {
  const ada = await browse(browser, server.baseURL);
  const vera = await browse(browser, server.baseURL);
  try {
    await firstLogIn(ada.page, server.adminEmail);
    await visitorStarts(vera.page, "Vera", "Grüße! Ist die Lieferung nach Kyjiw möglich? Дякую");
    await ada.page.getByTestId("waiting-list").getByTestId("accept").click();
    await ada.page.getByTestId("entry").fill("Ja, natürlich — in 3 Tagen.");
    await ada.page.getByTestId("entry").press("Enter");
    await expect(vera.page.getByTestId("sb-messages")).toContainText("in 3 Tagen");
    await ada.page.getByTestId("close").click();
    await ada.page.getByTestId("confirm-close").click();

    // The bubble offers the rating once the chat is over.
    const after = vera.page.getByTestId("sb-after");
    await expect(after).toBeVisible();
    // No stars yet: nothing is sent.
    await vera.page.getByTestId("sb-rate-send").click();
    await expect(vera.page.getByTestId("sb-error")).toHaveText("Please choose 1 to 5 stars.");
    await vera.page.getByTestId("sb-star-4").click();
    await expect(vera.page.getByTestId("sb-star-4")).toBeChecked();
    await vera.page.getByTestId("sb-rate-comment").fill("Schnell und freundlich");
    await vera.page.getByTestId("sb-rate-send").click();
    const thanks = vera.page.getByTestId("sb-thanks");
    await expect(thanks).toHaveText("Thank you for rating this chat 4 of 5.");
    await expect(thanks).toBeVisible();
    await expect(vera.page.getByTestId("sb-rate")).toBeHidden();

    // Mailed to the address the visitor types.
    await vera.page.getByTestId("sb-email").fill("vera@example.org");
    await vera.page.getByTestId("sb-email-send").click();
    await expect(thanks).toContainText("The transcript is on its way to vera@example.org.");
    await expect.poll(() => smtp.mails().length, { timeout: 15_000 }).toBe(1);
    const mail = smtp.mails()[0];
    expect(mail.rcpt_to).toEqual(["vera@example.org"]);
    expect(mail.body).toContain("Vera: Grüße! Ist die Lieferung nach Kyjiw möglich? Дякую");
    expect(mail.body).toContain("Ja, natürlich — in 3 Tagen.");
    expect(mail.body).toContain("Rating: ★★★★☆ (4/5) “Schnell und freundlich”");

    // Downloaded as a text file.
    const [download] = await Promise.all([
      vera.page.waitForEvent("download"),
      vera.page.getByTestId("sb-download").click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^chat-\d{4}-\d{2}-\d{2}-[0-9a-f]{8}\.txt$/);
    const text = readFileSync((await download.path())!, "utf8");
    expect(text).toContain("Vera: Grüße! Ist die Lieferung nach Kyjiw möglich? Дякую");

    // A reload shows the ended chat with the rating already given.
    await vera.page.reload();
    // The bubble comes back as the visitor left it: open.
    await expect(vera.page.getByTestId("sb-launcher")).toHaveAttribute("aria-expanded", "true");
    await expect(vera.page.getByTestId("sb-after")).toBeVisible();
    await expect(vera.page.getByTestId("sb-thanks")).toHaveText("Thank you for rating this chat 4 of 5.");
    await expect(vera.page.getByTestId("sb-rate")).toBeHidden();

    // A follow-up request after the chat: the message form, answered by email (V10).
    await vera.page.getByTestId("sb-follow-up").click();
    await expect(vera.page.getByTestId("sb-offline-reason")).toHaveText(
      "Anything more we can do for you? Leave a message and we will answer by email.",
    );
    await vera.page.getByTestId("sb-offline-email").fill("vera@example.org");
    await vera.page.getByTestId("sb-offline-message").fill("Bitte rufen Sie mich morgen an.");
    await vera.page.getByTestId("sb-offline-send").click();
    await expect(vera.page.getByTestId("sb-offline-sent")).toBeVisible();
    await ada.page.getByTestId("nav-tickets").click();
    const followUp = ada.page.getByTestId("ticket").filter({ hasText: "Bitte rufen Sie mich morgen an." });
    await expect(followUp).toContainText("follow-up request after a chat");

    // History (O28): the chat is found by a word, the match marked, and read with its rating.
    await ada.page.getByTestId("nav-history").click();
    await expect(ada.page.getByRole("heading", { name: "History", exact: true })).toBeVisible();
    await ada.page.getByTestId("history-words").fill("kyjiw");
    await ada.page.getByTestId("history-search").click();
    const hit = ada.page.getByTestId("history-hit");
    await expect(hit).toHaveCount(1);
    await expect(hit.locator("mark")).toHaveText("Kyjiw");
    await expect(hit).toContainText("★★★★☆");
    await hit.getByTestId("history-open").click();
    const past = ada.page.getByTestId("history-chat");
    await expect(past).toContainText("Ja, natürlich — in 3 Tagen.");
    await expect(past).toContainText("Rating: ★★★★☆ (4/5) “Schnell und freundlich”");
    const [file] = await Promise.all([
      ada.page.waitForEvent("download"),
      past.getByTestId("history-download").click(),
    ]);
    expect(readFileSync((await file.path())!, "utf8")).toContain("Дякую");
    // The PDF (O22): its text read back by poppler's pdftotext carries the Unicode intact;
    // private notes only when asked for.
    await expect(past.getByTestId("history-pdf")).toHaveAttribute("href", /\/transcript\.pdf$/);
    await past.getByTestId("history-notes").check();
    await expect(past.getByTestId("history-pdf")).toHaveAttribute("href", /\/transcript\.pdf\?notes=true$/);
    const [pdf] = await Promise.all([
      ada.page.waitForEvent("download"),
      past.getByTestId("history-pdf").click(),
    ]);
    expect(pdf.suggestedFilename()).toMatch(/^chat-\d{4}-\d{2}-\d{2}-[0-9a-f]{8}\.pdf$/);
    const pdfPath = (await pdf.path())!;
    expect(readFileSync(pdfPath).subarray(0, 5).toString()).toBe("%PDF-");
    const pdfText = execFileSync("pdftotext", ["-enc", "UTF-8", pdfPath, "-"]).toString();
    expect(pdfText).toContain("Grüße! Ist die Lieferung nach Kyjiw möglich? Дякую");
    expect(pdfText).toContain("Rating: ★★★★☆ (4/5)");
    await ada.page.getByTestId("history-words").fill("nowhere-to-be-found");
    await ada.page.getByTestId("history-search").click();
    await expect(ada.page.getByTestId("history-none")).toBeVisible();

    // Reports (A7): this week's figures, the chart drawn, the CSV with a row per operator.
    await ada.page.getByTestId("nav-reports").click();
    await expect(ada.page.getByRole("heading", { name: "Reports", exact: true })).toBeVisible();
    const rows = ada.page.getByTestId("report-row");
    await expect(rows).toHaveCount(2);
    await expect(rows.first()).toContainText("All operators");
    await expect(rows.first()).toContainText("4.00 (1)");
    const chart = ada.page.getByTestId("report-chart");
    await expect
      .poll(() => chart.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth))
      .toBeGreaterThan(0);
    const [csv] = await Promise.all([
      ada.page.waitForEvent("download"),
      ada.page.getByTestId("report-csv").click(),
    ]);
    expect(csv.suggestedFilename()).toMatch(/^report-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.csv$/);
    const lines = readFileSync((await csv.path())!, "utf8").trim().split("\r\n");
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(/^All operators,1,0,/);

    // The admin sees the mail sent on the Email page, and sends a test mail.
    await ada.page.getByTestId("nav-mail").click();
    await expect(ada.page.getByRole("heading", { name: "Email", exact: true })).toBeVisible();
    await expect(ada.page.getByTestId("mail-server")).toContainText(`127.0.0.1:${smtp.port} (none)`);
    await expect(ada.page.getByTestId("outbox-mail").first()).toHaveAttribute("data-state", "sent");
    await ada.page.getByTestId("send-test-mail").click();
    await expect(ada.page.getByTestId("test-mail-sent")).toContainText(server.adminEmail);
    await expect.poll(() => smtp.mails().length, { timeout: 15_000 }).toBe(2);
    expect(smtp.mails()[1].subject).toBe("Switchboard test email");

    expect(vera.errors).toEqual([]);
    expect(ada.errors).toEqual([]);
  } finally {
    await Promise.all([ada.context.close(), vera.context.close()]);
  }
});

test("the operator turns a chat into a ticket, the chat closes, and a ticket is answered by email", async ({
  browser,
}) => {
  const sink = await startSmtpSink();
  const own = await startServer([
    "--smtp-host",
    "127.0.0.1",
    "--smtp-port",
    String(sink.port),
    "--smtp-tls",
    "none",
    "--smtp-from",
    "Support <support@example.com>",
  ]);
  const ada = await browse(browser, own.baseURL);
  const vera = await browse(browser, own.baseURL);
  try {
    await firstLogIn(ada.page, own.adminEmail);
    await visitorStarts(vera.page, "Vera", "Mein Paket ist nicht angekommen — Заказ 1042");
    await ada.page.getByTestId("waiting-list").getByTestId("accept").click();
    await ada.page.getByTestId("entry").fill("Ich kläre das mit dem Versand.");
    await ada.page.getByTestId("entry").press("Enter");
    await expect(vera.page.getByTestId("sb-messages")).toContainText("Ich kläre das");
    // Seen marks (V5): each side learns the other has read its last message.
    await expect(vera.page.getByTestId("sb-receipt")).toHaveText("Seen");
    await expect(ada.page.getByTestId("receipt")).toHaveText("Seen by the visitor");

    // Ticket: a subject, and the chat is closed for everyone.
    await ada.page.getByTestId("ticket").click();
    await ada.page.getByTestId("ticket-subject").fill("Paket fehlt");
    await ada.page.getByTestId("ticket-create").click();
    await expect(ada.page.getByTestId("notice")).toContainText("Ticket #1 opened; the chat is closed.");
    // The closed chat leaves My Chats; the visitor is offered what comes after a chat.
    await expect(ada.page.getByTestId("chat-controls")).toHaveCount(0);
    await expect(vera.page.getByTestId("sb-after")).toBeVisible();

    await ada.page.getByTestId("nav-tickets").click();
    const item = ada.page.getByTestId("ticket").filter({ hasText: "Paket fehlt" });
    await expect(item.getByTestId("ticket-status")).toHaveText("Open");
    await expect(item).toContainText("from a chat");
    await item.getByTestId("ticket-open").click();
    const detail = ada.page.getByTestId("ticket-detail");
    const chatArticle = detail.getByTestId("ticket-article");
    await expect(chatArticle).toHaveAttribute("data-kind", "chat");
    await expect(chatArticle).toContainText("Vera: Mein Paket ist nicht angekommen — Заказ 1042");
    await expect(detail.getByTestId("ticket-assignee")).toHaveValue(/[0-9a-f-]{36}/);

    // The visitor asks for a follow-up: it arrives as a second ticket, live.
    await vera.page.getByTestId("sb-follow-up").click();
    await vera.page.getByTestId("sb-offline-email").fill("vera@example.org");
    await vera.page.getByTestId("sb-offline-message").fill("Bitte schreiben Sie mir, wenn es da ist.");
    await vera.page.getByTestId("sb-offline-send").click();
    await expect(vera.page.getByTestId("sb-offline-sent")).toBeVisible();
    const request = ada.page.getByTestId("ticket").filter({ hasText: "Bitte schreiben Sie mir" });
    await expect(request).toContainText("follow-up request after a chat");

    // Ada answers it by email: the SMTP server receives the reply, the ticket is pending.
    await request.getByTestId("ticket-open").click();
    await expect(detail.getByTestId("ticket-from")).toContainText("<vera@example.org>");
    await detail.getByTestId("ticket-reply").fill("Es ist unterwegs. Ваш заказ в пути.");
    await detail.getByTestId("ticket-reply-send").click();
    await expect(ada.page.getByTestId("notice")).toContainText("Your reply is on its way.");
    await expect(detail.getByTestId("ticket-article").last()).toHaveAttribute("data-kind", "reply");
    await expect(request.getByTestId("ticket-status")).toHaveText("Pending");
    await expect.poll(() => sink.mails().length, { timeout: 15_000 }).toBe(1);
    const mail = sink.mails()[0];
    expect(mail.rcpt_to).toEqual(["vera@example.org"]);
    expect(mail.subject).toBe("Re: Bitte schreiben Sie mir, wenn es da ist. [#2]");
    expect(mail.body).toContain("Ваш заказ в пути.");

    expect(vera.errors).toEqual([]);
    expect(ada.errors).toEqual([]);
  } finally {
    await Promise.all([ada.context.close(), vera.context.close()]);
    await own.stop();
    await sink.stop();
  }
});
