// Every page: the phone menu, the filter toggle, confirmations, closable toasts, the
// notification menu under the bell, the Markdown composer and focus on error summaries.
// No inline script anywhere (the CSP forbids it): pages opt in with data attributes.
(function () {
  "use strict";
  var script = document.getElementById("ui-script");
  var text = {};
  try { text = JSON.parse((script && script.dataset.i18n) || "{}"); } catch (e) { text = {}; }
  function t(key, fallback) { return text[key] || fallback; }
  window.PSI = window.PSI || {};
  window.PSI.t = t;

  function csrfToken() {
    var input = document.querySelector("input[name=csrf_token]");
    return input ? input.value : "";
  }
  window.PSI.csrfToken = csrfToken;

  // Top bar: one "Menu" button on phones.
  var toggle = document.getElementById("menu-toggle");
  var menu = document.getElementById("site-menu");
  if (toggle && menu) {
    toggle.addEventListener("click", function () {
      var open = !menu.classList.contains("open");
      menu.classList.toggle("open", open);
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }

  // List filters: closed on phones (the first idea shows at once), open on wide screens.
  var wide = window.matchMedia ? window.matchMedia("(min-width: 721px)").matches : true;
  document.querySelectorAll("details.filters-box").forEach(function (box) {
    if (wide) box.open = true;
  });

  // Ask before destructive or hard-to-undo actions: <form data-confirm="question">.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !form.dataset.confirmed && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // Toasts: closable, gone after a while; used by live.js too.
  window.PSI.toast = function (content, href) {
    var box = document.getElementById("live-toasts");
    if (!box) return null;
    var toast = document.createElement("div");
    toast.className = "toast";
    toast.setAttribute("role", "status");
    var body;
    if (href) {
      body = document.createElement("a");
      body.href = href;
    } else {
      body = document.createElement("span");
    }
    body.textContent = content;
    toast.appendChild(body);
    var close = document.createElement("button");
    close.type = "button";
    close.className = "toast-close";
    close.setAttribute("aria-label", t("close", "Close"));
    close.textContent = "\u00d7";
    close.addEventListener("click", function () { toast.remove(); });
    toast.appendChild(close);
    box.appendChild(toast);
    setTimeout(function () { toast.remove(); }, 10000);
    return toast;
  };

  // The bell opens a menu of the latest notifications; the full page stays for history.
  var bell = document.getElementById("notification-bell");
  var bellMenu = document.getElementById("notification-menu");
  function closeBell() {
    if (!bellMenu || bellMenu.hidden) return;
    bellMenu.hidden = true;
    bell.setAttribute("aria-expanded", "false");
  }
  function renderBell(data) {
    bellMenu.textContent = "";
    var list = document.createElement("ul");
    (data.items || []).forEach(function (item) {
      var li = document.createElement("li");
      if (!item.read) li.className = "unread";
      var a = document.createElement("a");
      a.href = item.url;
      a.textContent = item.text;
      li.appendChild(a);
      list.appendChild(li);
    });
    if (!list.children.length) {
      var empty = document.createElement("li");
      empty.className = "muted";
      empty.textContent = t("nothing", "Nothing yet.");
      list.appendChild(empty);
    }
    bellMenu.appendChild(list);
    var foot = document.createElement("div");
    foot.className = "bell-foot";
    var all = document.createElement("a");
    all.href = bell.getAttribute("href");
    all.textContent = t("all", "All notifications");
    foot.appendChild(all);
    if (data.mark_all_url) {
      var mark = document.createElement("button");
      mark.type = "button";
      mark.className = "link";
      mark.textContent = t("markall", "Mark all as read");
      mark.addEventListener("click", function () {
        var body = new FormData();
        body.append("csrf_token", csrfToken());
        fetch(data.mark_all_url, { method: "POST", body: body, credentials: "same-origin" }).then(function () {
          bellMenu.querySelectorAll("li.unread").forEach(function (n) { n.classList.remove("unread"); });
          var badge = document.getElementById("notification-count");
          if (badge) { badge.textContent = "0"; badge.hidden = true; }
        });
      });
      foot.appendChild(mark);
    }
    bellMenu.appendChild(foot);
  }
  if (bell && bellMenu && bell.dataset.menuUrl && window.fetch) {
    bell.addEventListener("click", function (event) {
      if (event.ctrlKey || event.metaKey || event.shiftKey) return;
      event.preventDefault();
      if (!bellMenu.hidden) return closeBell();
      bellMenu.hidden = false;
      bell.setAttribute("aria-expanded", "true");
      bellMenu.textContent = t("loading", "Loading…");
      fetch(bell.dataset.menuUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
        .then(renderBell)
        .catch(function () { window.location.href = bell.getAttribute("href"); });
    });
    document.addEventListener("click", function (event) {
      if (!bellMenu.hidden && !bellMenu.contains(event.target) && !bell.contains(event.target)) closeBell();
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && !bellMenu.hidden) { closeBell(); bell.focus(); }
    });
  }

  // Forms with errors: focus the summary so screen readers and keyboards start there.
  var summary = document.querySelector(".error-summary");
  if (summary) summary.focus();

  // The Markdown composer: Write/Preview tabs, a toolbar, drafts kept in this browser.
  var WRAP = {
    bold: ["**", "**"], italic: ["_", "_"], link: ["[", "](https://)"], list: ["- ", ""], quote: ["> ", ""]
  };
  function applyFormat(area, kind) {
    var pair = WRAP[kind];
    var start = area.selectionStart, end = area.selectionEnd, value = area.value;
    var chosen = value.slice(start, end);
    var replacement;
    if (kind === "list" || kind === "quote") {
      var lineStart = value.lastIndexOf("\n", start - 1) + 1;
      var block = value.slice(lineStart, end) || "";
      replacement = block.split("\n").map(function (line) { return pair[0] + line; }).join("\n");
      area.setRangeText(replacement, lineStart, end, "end");
    } else {
      area.setRangeText(pair[0] + chosen + pair[1], start, end, "select");
      if (!chosen) area.setSelectionRange(start + pair[0].length, start + pair[0].length);
    }
    area.focus();
    area.dispatchEvent(new Event("input", { bubbles: true }));
  }
  window.PSI.draft = {
    key: function (area) { return area.dataset.draftKey ? "psi-draft:" + area.dataset.draftKey : null; },
    clear: function (area) {
      var key = this.key(area);
      try { if (key) window.localStorage.removeItem(key); } catch (e) { /* storage may be off */ }
    }
  };
  function setupComposer(area) {
    var key = window.PSI.draft.key(area);
    if (key) {
      try {
        var saved = window.localStorage.getItem(key);
        if (saved && !area.value.trim()) area.value = saved;
      } catch (e) { /* storage may be off */ }
      area.addEventListener("input", function () {
        try {
          if (area.value.trim()) window.localStorage.setItem(key, area.value);
          else window.localStorage.removeItem(key);
        } catch (e) { /* storage may be full or off */ }
      });
    }
    var bar = document.getElementById(area.dataset.composer);
    if (!bar) return;
    var preview = document.getElementById(bar.dataset.preview);
    var tabs = bar.querySelectorAll("[role=tab]");
    function show(which) {
      tabs.forEach(function (tab) {
        var on = tab.dataset.tab === which;
        tab.setAttribute("aria-selected", on ? "true" : "false");
        tab.tabIndex = on ? 0 : -1;
      });
      area.hidden = which === "preview";
      preview.hidden = which !== "preview";
      if (which === "preview") {
        if (!area.value.trim()) { preview.textContent = t("empty", "Nothing to preview."); return; }
        preview.textContent = t("loading", "Loading…");
        fetch(bar.dataset.previewUrl, {
          method: "POST", credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(), Accept: "application/json" },
          body: JSON.stringify({ body: area.value })
        }).then(function (r) { return r.json(); }).then(function (data) {
          // The server's Markdown and sanitiser made this HTML (forum.ideas.rendering): the same as a post.
          var tpl = document.createElement("template");
          tpl.innerHTML = data.html || "";
          preview.textContent = "";
          preview.appendChild(document.importNode(tpl.content, true));
        }).catch(function () { preview.textContent = t("error", "Something went wrong. Try again."); });
      } else {
        area.focus();
      }
    }
    tabs.forEach(function (tab) {
      tab.addEventListener("click", function () { show(tab.dataset.tab); });
      tab.addEventListener("keydown", function (event) {
        if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
          var next = tab.dataset.tab === "write" ? "preview" : "write";
          show(next);
          bar.querySelector("[data-tab=" + next + "]").focus();
        }
      });
    });
    bar.querySelectorAll("[data-format]").forEach(function (button) {
      button.addEventListener("click", function () {
        if (area.hidden) show("write");
        applyFormat(area, button.dataset.format);
      });
    });
    area.addEventListener("keydown", function (event) {
      if ((event.ctrlKey || event.metaKey) && !event.altKey) {
        var k = event.key.toLowerCase();
        if (k === "b") { event.preventDefault(); applyFormat(area, "bold"); }
        if (k === "i") { event.preventDefault(); applyFormat(area, "italic"); }
        if (event.key === "Enter" && area.form) {
          event.preventDefault();
          if (area.form.requestSubmit) area.form.requestSubmit(); else area.form.submit();
        }
      }
    });
    window.PSI.showWrite = function () { show("write"); };
  }
  document.querySelectorAll("textarea[data-composer]").forEach(setupComposer);
  // A form posted the normal way clears its drafts when the server accepts it (the page changes).
  document.querySelectorAll("form[data-clears-draft]").forEach(function (form) {
    form.addEventListener("submit", function () {
      var area = form.querySelector("textarea[data-draft-key]");
      if (area) sessionStorage.setItem("psi-posted", window.PSI.draft.key(area));
    });
  });
  try {
    var posted = sessionStorage.getItem("psi-posted");
    // Back on a page with no error summary: the post went through.
    if (posted) {
      // Back on a page with no error: the post went through; with an error, the draft stays.
      if (!document.querySelector(".error-summary, .has-error")) window.localStorage.removeItem(posted);
      sessionStorage.removeItem("psi-posted");
    }
  } catch (e) { /* storage may be off */ }

  // A long list (offices) gets a search box: typing hides the options that do not match (any case, any part).
  document.querySelectorAll("select[data-searchable]").forEach(function (select) {
    var box = document.createElement("input");
    box.type = "search";
    box.className = "select-search";
    box.id = select.id + "-search";
    box.setAttribute("aria-label", select.getAttribute("data-searchable"));
    box.setAttribute("aria-controls", select.id);
    box.placeholder = select.getAttribute("data-searchable");
    select.parentNode.insertBefore(box, select);
    box.addEventListener("input", function () {
      var words = box.value.toLowerCase().split(/\s+/).filter(Boolean);
      Array.prototype.forEach.call(select.options, function (option) {
        var text = option.text.toLowerCase();
        var match = !option.value || words.every(function (w) { return text.indexOf(w) >= 0; });
        option.hidden = !match;
      });
      // One match left: choose it, so a phone user need not open the list at all.
      var shown = Array.prototype.filter.call(select.options, function (o) { return o.value && !o.hidden; });
      if (shown.length === 1) select.value = shown[0].value;
    });
  });

  // What reading does not need (live updates, @-mentions, similar ideas, the Bengali font on an English page)
  // starts after the load event, so on a slow link the page and its styles come first. Pages write those scripts inert,
  // <script type="text/x-after-load" data-src="...">, and here each becomes a real one, run in page order.
  function loadAfterLoad() {
    document.documentElement.classList.add("bengali-font");  // see forum.css: English pages take it now
    document.querySelectorAll('script[type="text/x-after-load"]').forEach(function (inert) {
      var real = document.createElement("script");
      Array.prototype.forEach.call(inert.attributes, function (a) {
        if (a.name !== "type" && a.name !== "data-src") real.setAttribute(a.name, a.value);
      });
      real.async = false;  // page order: socket.io before live.js
      real.src = inert.getAttribute("data-src");
      inert.parentNode.replaceChild(real, inert);
    });
  }
  if (document.readyState === "complete") loadAfterLoad();
  else window.addEventListener("load", loadAfterLoad);
})();
