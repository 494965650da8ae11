/* Switchboard chat bubble loader.
 * Snippet: <script src="https://HOST/widget/loader.js" async data-switchboard
 *            data-name="…" data-email="…" data-field-plan="pro"></script>
 * Optional overrides of the bubble settings (previews, per-page tweaks): data-title,
 * data-greeting, data-color="#rrggbb", data-launcher-label.
 * data-channel="<channel id>" starts every chat in that channel; without it, the visitor
 * picks one when there are several.
 * Asks GET /api/v1/widget/config once: a site the server does not allow gets nothing drawn
 * and one console message; otherwise the launcher is drawn (label and colour from the config)
 * and the panel's CSS, JS and WebAssembly are fetched on first open, reusing that config.
 * The launcher comes before the panel in the page, opening moves focus into the panel, and
 * Escape closes it, back to the launcher.
 * Every page view is reported (POST /api/v1/visitor/page; a first one registers the visitor),
 * and the page holds one live channel (GET /api/v1/visitor/events) that keeps the visitor on
 * the operators' list and brings their invitations. */
(function () {
  "use strict";
  if (window.SwitchboardLoader) return;

  var script =
    document.currentScript || document.querySelector("script[data-switchboard]");
  if (!script || !script.src) return;
  var base = new URL(script.src, location.href).origin;

  function hex(c) {
    return typeof c === "string" && /^#[0-9a-fA-F]{6}$/.test(c.trim()) ? c.trim() : null;
  }

  var options = { fields: {} };
  var label = null; // launcher label and colour: snippet override, else the server's
  var color = null;
  for (var i = 0; i < script.attributes.length; i++) {
    var attr = script.attributes[i];
    var value = attr.value.trim();
    if (attr.name === "data-name" && value) options.name = value;
    else if (attr.name === "data-email" && value) options.email = value;
    else if (attr.name === "data-title" && value) options.title = value;
    else if (attr.name === "data-greeting" && value) options.greeting = value;
    else if (attr.name === "data-color" && hex(value)) color = options.color = hex(value);
    else if (attr.name === "data-launcher-label" && value) label = value;
    else if (attr.name === "data-channel" && value) options.channel = value;
    else if (attr.name.indexOf("data-field-") === 0 && attr.name.length > 11)
      options.fields[attr.name.slice(11)] = attr.value;
  }

  var OPEN_KEY = "switchboard:open";
  function remember(open) {
    try {
      localStorage.setItem(OPEN_KEY, open ? "1" : "0");
    } catch (e) {
      /* storage blocked: the panel just won't reopen by itself */
    }
  }
  function wasOpen() {
    try {
      return localStorage.getItem(OPEN_KEY) === "1";
    } catch (e) {
      return false;
    }
  }

  var ICON_CHAT =
    '<svg viewBox="0 0 24 24" width="28" height="28" aria-hidden="true"><path fill="currentColor" d="M12 3C6.5 3 2 6.9 2 11.7c0 2.5 1.2 4.7 3.2 6.3L4.5 21.5l4-2.1c1.1.3 2.3.5 3.5.5 5.5 0 10-3.9 10-8.7S17.5 3 12 3z"/></svg>';
  var ICON_CLOSE =
    '<svg viewBox="0 0 24 24" width="26" height="26" aria-hidden="true"><path fill="none" stroke="currentColor" stroke-width="2.4" stroke-linecap="round" d="M6 6l12 12M18 6L6 18"/></svg>';

  var launcher, container;
  var isOpen = false;
  var loading = null;
  var config = null; // the server's bubble config, once fetched

  function build() {
    launcher = document.createElement("button");
    launcher.type = "button";
    launcher.setAttribute("data-testid", "sb-launcher");
    launcher.setAttribute("aria-expanded", "false");
    launcher.setAttribute("aria-controls", "switchboard-panel");
    launcher.style.cssText = [
      "position:fixed",
      "right:20px",
      "bottom:20px",
      "width:56px",
      "max-width:calc(100vw - 40px)",
      "height:56px",
      "margin:0",
      "padding:0",
      "border:0",
      "border-radius:28px",
      "background:#2563eb",
      "color:#fff",
      "display:flex",
      "gap:8px",
      "align-items:center",
      "justify-content:center",
      "font:600 15px/1 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif",
      "white-space:nowrap",
      "cursor:pointer",
      "box-shadow:0 6px 20px rgba(15,23,42,.28)",
      "z-index:2147483000",
      "transition:transform .15s ease,background .15s ease",
    ].join(";");
    launcher.addEventListener("mouseenter", function () {
      launcher.style.transform = "scale(1.06)";
    });
    launcher.addEventListener("mouseleave", function () {
      launcher.style.transform = "";
    });
    launcher.addEventListener("click", toggle);
    draw();

    container = document.createElement("div");
    container.id = "switchboard-panel";
    container.hidden = true;
    // Position and size come from widget.css, loaded with the panel.
    container.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && isOpen) {
        event.stopPropagation();
        close();
        launcher.focus();
      }
    });

    // The launcher first: Tab from it goes into the open panel, not through the host page.
    document.body.appendChild(launcher);
    document.body.appendChild(container);
  }

  // Focus moves into the panel once it shows a field (the panel renders after its module and
  // the visitor's chat load), unless the visitor has moved focus anywhere meanwhile.
  function focusPanel() {
    var started = Date.now();
    (function attempt() {
      if (!isOpen) return;
      // Focus the visitor (or a test) put anywhere, the panel's own fields included, stays.
      var active = document.activeElement;
      if (active && active !== launcher && active !== document.body) return;
      var field = container.querySelector(
        "textarea:not([disabled]), input:not([disabled]), select:not([disabled])"
      );
      if (field) field.focus();
      else if (Date.now() - started < 5000) setTimeout(attempt, 50);
    })();
  }

  // The panel's files: under this build's version when the config named it (cached for good),
  // else under their plain names.
  function files() {
    var v = config && config.assets;
    return base + "/widget/" + (v && /^[0-9a-f]+$/.test(v) ? v + "/" : "");
  }

  function loadCss() {
    return new Promise(function (resolve) {
      var link = document.createElement("link");
      link.rel = "stylesheet";
      link.href = files() + "widget.css";
      link.onload = link.onerror = function () {
        resolve();
      };
      document.head.appendChild(link);
    });
  }

  function ensureLoaded() {
    if (!loading) {
      loading = Promise.all([loadCss(), import(files() + "panel.js")])
        .then(function (loaded) {
          if (config) options.config = config;
          loaded[1].mount(container, base, options);
        })
        .catch(function (err) {
          loading = null; // let the next click try again
          throw err;
        });
    }
    return loading;
  }

  // Closed: chat icon and the label (a pill); open: a round close button.
  function draw() {
    var wide = label && !isOpen;
    launcher.innerHTML = isOpen ? ICON_CLOSE : ICON_CHAT;
    if (wide) {
      var text = document.createElement("span");
      text.style.cssText = "overflow:hidden;text-overflow:ellipsis";
      text.textContent = label;
      launcher.appendChild(text);
    }
    launcher.style.width = wide ? "auto" : "56px";
    launcher.style.padding = wide ? "0 22px 0 16px" : "0";
    launcher.style.background = color || "#2563eb";
    launcher.setAttribute("aria-label", label || "Chat with us");
  }

  // The one config request of a page view. Resolves to whether the bubble may be drawn: not
  // when the server refuses this site. Any other failure draws the default look (the panel
  // asks again when it opens).
  function fetchConfig() {
    if (!window.fetch) return Promise.resolve(true);
    return fetch(base + "/api/v1/widget/config")
      .then(function (r) {
        return r.json().then(
          function (body) {
            return { ok: r.ok, body: body };
          },
          function () {
            return { ok: false, body: null };
          }
        );
      })
      .then(function (answer) {
        var code = answer.body && answer.body.error && answer.body.error.code;
        if (code === "origin_not_allowed") {
          if (window.console)
            console.error(
              "Switchboard: this site (" + location.origin + ") is not allowed to use the chat. " +
                "Add its origin to the server's --allowed-origins (SWITCHBOARD_ALLOWED_ORIGINS)."
            );
          return false;
        }
        if (answer.ok && answer.body) {
          config = answer.body;
          if (!label && typeof config.launcher_label === "string")
            label = config.launcher_label.trim() || null;
          color = color || hex(config.color);
        }
        return true;
      })
      .catch(function () {
        return true;
      });
  }

  function setOpen(open) {
    isOpen = open;
    launcher.setAttribute("aria-expanded", open ? "true" : "false");
    draw();
  }

  // `byVisitor`: opened by a click or the page's script, not reopened at page load, so focus
  // moves into the panel (never stolen from the page as it loads).
  function open(byVisitor) {
    if (!launcher) return;
    dismiss();
    setOpen(true);
    remember(true);
    ensureLoaded().then(
      function () {
        if (isOpen) {
          container.hidden = false;
          if (byVisitor !== false) focusPanel();
        }
      },
      function (err) {
        setOpen(false);
        remember(false);
        if (window.console) console.warn("Switchboard: could not load the chat", err);
      }
    );
  }

  function close() {
    if (!launcher) return;
    setOpen(false);
    remember(false);
    container.hidden = true;
  }

  function toggle() {
    if (isOpen) close();
    else open(true);
  }

  window.SwitchboardLoader = { open: open, close: close, toggle: toggle };

  var TOKEN_KEY = "switchboard:token";
  function token() {
    try {
      return localStorage.getItem(TOKEN_KEY);
    } catch (e) {
      return null;
    }
  }
  function keepToken(t) {
    try {
      if (t) localStorage.setItem(TOKEN_KEY, t);
      else localStorage.removeItem(TOKEN_KEY);
    } catch (e) {
      /* storage blocked: a new visitor on every page */
    }
  }
  function call(path, body, method) {
    return fetch(base + "/api/v1" + path, {
      method: method || "POST",
      keepalive: !method,
      headers: { Authorization: "Bearer " + token(), "Content-Type": "application/json" },
      body: body ? JSON.stringify(body) : undefined,
    });
  }

  // Every page view makes the visitor known (a returning one by their token): operators see
  // them on the site, with their pages, whether or not they chat.
  function visit(again) {
    var made = token()
      ? Promise.resolve()
      : fetch(base + "/api/v1/visitors", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({
            name: options.name,
            email: options.email,
            language: navigator.language,
            page_url: location.href,
            referrer: document.referrer || null,
            fields: options.fields,
          }),
        })
          .then(function (r) {
            return r.json();
          })
          .then(function (v) {
            keepToken(v.token);
          });
    return made
      .then(function () {
        return call("/visitor/page", {
          url: location.href,
          title: document.title,
          referrer: document.referrer || null,
          language: navigator.language,
          channel: options.channel,
        });
      })
      .then(function (r) {
        if (r.status === 401 && !again) {
          keepToken(null);
          return visit(true);
        }
        if (r.ok) {
          connect();
          call("/visitor/invitation", null, "GET")
            .then(function (r) {
              return r.status === 200 && r.json();
            })
            .then(function (i) {
              if (i) invite(i);
            });
        }
      })
      .catch(function () {});
  }

  // The page's one live channel: it keeps the visitor on the site while the page is open, and
  // brings an operator's invitation. Reconnects with backoff.
  var live = null;
  var wait = 1000;
  function connect() {
    if (live || !window.AbortController || !window.TextDecoder) return;
    var ctl = (live = new AbortController());
    fetch(base + "/api/v1/visitor/events", {
      headers: { Authorization: "Bearer " + token() },
      signal: ctl.signal,
    })
      .then(function (r) {
        if (!r.ok || !r.body) throw r.status;
        wait = 1000;
        var reader = r.body.getReader();
        var text = new TextDecoder();
        var buf = "";
        return (function pump() {
          return reader.read().then(function (chunk) {
            if (chunk.done) throw 0;
            buf += text.decode(chunk.value, { stream: true }).replace(/\r/g, "");
            var frames = buf.split("\n\n");
            buf = frames.pop();
            frames.forEach(hear);
            return pump();
          });
        })();
      })
      .catch(function (status) {
        if (live !== ctl) return;
        live = null;
        if (status !== 401) setTimeout(connect, wait);
        wait = Math.min(wait * 2, 30000);
      });
  }
  function hear(frame) {
    var name = "";
    var data = "";
    frame.split("\n").forEach(function (line) {
      if (line.indexOf("event:") === 0) name = line.slice(6).trim();
      else if (line.indexOf("data:") === 0) data += line.slice(5);
    });
    if (name === "invited") {
      try {
        invite(JSON.parse(data));
      } catch (e) {
        /* not ours */
      }
    }
  }
  addEventListener("pagehide", function () {
    var ctl = live;
    live = null;
    if (ctl) ctl.abort();
  });
  addEventListener("pageshow", function (event) {
    if (event.persisted) connect();
  });

  // An operator's invitation: an incoming chat request with Start Chat and a close control,
  // drawn here so that no panel code loads until the visitor takes it up.
  var card = null;
  function dismiss() {
    if (card) card.remove();
    card = null;
  }
  function invite(i) {
    var id = i.invitation_id || i.id;
    if (isOpen || !id || (card && card.sbId === id)) return;
    dismiss();
    // Built node by node and styled through CSSOM: a strict Content-Security-Policy on the
    // host page refuses style attributes in markup.
    function node(tag, css, text, testid) {
      var n = document.createElement(tag);
      n.style.cssText = css;
      if (text) n.textContent = text;
      if (testid) n.setAttribute("data-testid", testid);
      if (tag === "button") n.type = "button";
      return n;
    }
    card = node(
      "div",
      "position:fixed;right:20px;bottom:88px;width:300px;max-width:calc(100vw - 40px);" +
        "box-sizing:border-box;padding:14px 16px;background:#fff;color:#0f172a;" +
        "border-radius:12px;box-shadow:0 8px 30px rgba(15,23,42,.3);" +
        "font:14px/1.45 system-ui,sans-serif;z-index:2147483000",
      "",
      "sb-invitation"
    );
    card.sbId = id;
    card.setAttribute("role", "dialog");
    card.setAttribute("aria-label", "Chat request from " + i.operator_name);
    var shut = node(
      "button",
      "position:absolute;top:4px;right:6px;border:0;background:none;font-size:22px;" +
        "line-height:1;padding:4px 8px;cursor:pointer;color:#475569",
      "\u00d7",
      "sb-invitation-close"
    );
    shut.setAttribute("aria-label", "Close");
    var go = node(
      "button",
      "border:0;border-radius:8px;padding:9px 16px;font-weight:600;cursor:pointer;color:#fff;" +
        "background:" + (color || "#2563eb"),
      "Start Chat",
      "sb-invitation-start"
    );
    card.append(
      shut,
      node("strong", "", i.operator_name),
      node("p", "margin:6px 0 12px;white-space:pre-wrap", i.message),
      go
    );
    var path = "/visitor/invitations/" + id;
    shut.onclick = function () {
      call(path + "/decline");
      dismiss();
      launcher.focus();
    };
    go.onclick = function () {
      dismiss();
      options.invitation = { id: id, operator_name: i.operator_name, message: i.message };
      container.dispatchEvent(new CustomEvent("switchboard:invitation"));
      open(true);
    };
    document.body.appendChild(card);
    call(path + "/seen");
  }

  function start() {
    fetchConfig().then(function (allowed) {
      if (!allowed) return;
      build();
      if (wasOpen()) open(false);
      if (window.fetch) visit();
    });
  }
  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
