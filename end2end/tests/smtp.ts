import { spawn, ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A mail the loopback SMTP server accepted, decoded as a mail client shows it. */
export interface Mail {
  mail_from: string;
  rcpt_to: string[];
  from: string;
  to: string;
  subject: string;
  content_type: string;
  body: string;
}

/** A real SMTP server (Debian's aiosmtpd, run by `test-support/smtp/sink.py`) on 127.0.0.1. */
export interface SmtpSink {
  port: number;
  /** Every mail accepted so far, oldest first. */
  mails(): Mail[];
  stop(): Promise<void>;
}

const SINK = join(__dirname, "..", "..", "test-support", "smtp", "sink.py");

/** Starts the sink on a free port; `cargo xtask e2e` installs python3-aiosmtpd. */
export function startSmtpSink(): Promise<SmtpSink> {
  const dir = mkdtempSync(join(tmpdir(), "switchboard-smtp-"));
  const child: ChildProcess = spawn("/usr/bin/python3", [SINK, dir], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return new Promise((resolve, reject) => {
    let out = "";
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`the SMTP sink exited (code ${code})`)));
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString("utf8");
      const line = out.split("\n")[0];
      if (!out.includes("\n")) return;
      const port = Number(line.trim());
      resolve({
        port,
        mails: () =>
          readdirSync(dir)
            .filter((name) => /^\d+\.json$/.test(name))
            .sort((a, b) => parseInt(a) - parseInt(b))
            .map((name) => JSON.parse(readFileSync(join(dir, name), "utf8")) as Mail),
        stop: async () => {
          child.kill();
          await exited;
          rmSync(dir, { recursive: true, force: true });
        },
      });
    });
  });
}
