"""Schemathesis against a live Switchboard (P4): the server is started on a fresh database, a
visitor and an operator with a personal access token are made, and every documented call of
`/api/v1/openapi.json` is fuzzed, the visitor API with the visitor's token and the operator API
with the operator's. Fails on any server error or any answer that breaks the schema.

Run by `cargo xtask test` (and `cargo xtask schemathesis`), which installs schemathesis from
PyPI into a virtual environment and passes SWITCHBOARD_BIN and ST (the `st` command).
"""

import http.cookiejar
import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request

CHECKS = "not_a_server_error,response_schema_conformance,content_type_conformance,status_code_conformance"
# Streams never end by themselves; everything else is fuzzed.
EXCLUDE = r"/events$"


def start(binary, directory):
    database = f"sqlite://{directory}/switchboard.db"
    child = subprocess.Popen(
        [binary, "--bind", "127.0.0.1:0", "--database-url", database, "--no-rate-limits", "--visitor-name-optional"],
        cwd=directory,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "RUST_LOG": "warn"},
    )
    base, admin = None, None
    for line in child.stdout:
        sys.stdout.write(line)
        found = re.search(r"listening on (http://\S+?)/?$", line.strip())
        if found:
            base = found.group(1)
        found = re.search(r"First admin: (\S+)", line)
        if found:
            admin = found.group(1)
        if base and admin:
            break
    if not (base and admin):
        raise SystemExit("the server did not start")
    return child, base, admin


def call(opener, base, path, form=None, body=None, headers=None):
    data = None
    request_headers = dict(headers or {})
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
    elif body is not None:
        data = json.dumps(body).encode()
        request_headers["content-type"] = "application/json"
    request = urllib.request.Request(base + path, data=data, headers=request_headers)
    with opener.open(request) as response:
        text = response.read().decode()
        return json.loads(text) if text else None


def main():
    binary = os.environ["SWITCHBOARD_BIN"]
    st = os.environ.get("ST", "st")
    with tempfile.TemporaryDirectory(prefix="switchboard-schemathesis-") as directory:
        child, base, admin = start(binary, directory)
        try:
            jar = http.cookiejar.CookieJar()
            console = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
            call(console, base, "/api/login", form={"input[email]": admin, "input[password]": "password"})
            call(
                console,
                base,
                "/api/change_password",
                form={
                    "input[current]": "password",
                    "input[new_password]": "schemathesis-1",
                    "input[confirm]": "schemathesis-1",
                },
            )
            token = call(console, base, "/api/create_access_token", form={"name": "schemathesis"})["secret"]
            plain = urllib.request.build_opener()
            visitor = call(plain, base, "/api/v1/visitors", body={"name": "Vera"})["token"]
            bearer = {"authorization": f"Bearer {visitor}"}
            call(plain, base, "/api/v1/visitor/chats", body={"name": "Vera", "message": "Hello"}, headers=bearer)

            failed = False
            for tag, secret in (("visitor", visitor), ("operator", token)):
                print(f"\n==> schemathesis: the {tag} API", flush=True)
                result = subprocess.run(
                    [
                        st,
                        "run",
                        f"{base}/api/v1/openapi.json",
                        "--url",
                        base,
                        "--include-tag",
                        tag,
                        "--exclude-path-regex",
                        EXCLUDE,
                        "--checks",
                        CHECKS,
                        "--header",
                        f"Authorization: Bearer {secret}",
                        "--max-examples",
                        os.environ.get("SCHEMATHESIS_EXAMPLES", "40"),
                        "--workers",
                        "2",
                        "--seed",
                        "7",
                    ],
                    check=False,
                )
                failed = failed or result.returncode != 0
            if failed:
                raise SystemExit("schemathesis found failures")
        finally:
            child.terminate()
            child.wait(timeout=15)


if __name__ == "__main__":
    main()
