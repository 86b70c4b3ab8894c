// Live updates: notifications on every page; on an idea page, comments, edits,
// deletions and who else is viewing, without reloading.
// Only comment.body_html (sanitised by the server with nh3) is parsed as HTML, and
// even that goes through an inert <template> and a second scrub; everything else
// is set as textContent.
(function () {
  "use strict";
  var script = document.getElementById("live-script");
  if (!script || typeof io !== "function") return;
  var cfg = script.dataset;
  var me = Number(cfg.userId);
  var isAdmin = cfg.admin === "1";
  var root = cfg.scriptRoot || "";  // the app may be mounted under a prefix
  var text = {};
  try { text = JSON.parse(cfg.i18n || "{}"); } catch (e) { text = {}; }
  function t(key, fallback) { return text[key] || fallback; }
  function urlFor(template, id) { return template.replace("999999999", encodeURIComponent(id)); }

  var ideaEl = document.getElementById("idea");
  var ideaId = ideaEl ? Number(ideaEl.dataset.ideaId) : null;
  var list = document.getElementById("comments");
  var viewersEl = document.getElementById("viewers");

  function el(tag, className, content) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (content !== undefined && content !== null) node.textContent = content;
    return node;
  }

  // Defence in depth: the server already sanitised body_html; drop anything active anyway.
  var BANNED = "script,style,iframe,object,embed,link,meta,base,form,input,button,textarea,select";
  function safeFragment(html) {
    var tpl = document.createElement("template");
    tpl.innerHTML = html || "";  // template content is inert: nothing loads or runs
    tpl.content.querySelectorAll(BANNED).forEach(function (n) { n.remove(); });
    tpl.content.querySelectorAll("*").forEach(function (n) {
      Array.prototype.slice.call(n.attributes).forEach(function (a) {
        var name = a.name.toLowerCase();
        var value = a.value.replace(/[\s\u0000-\u001f]/g, "").toLowerCase();
        if (name.indexOf("on") === 0 || name === "style" || name === "srcdoc" ||
            ((name === "href" || name === "src" || name === "xlink:href" || name === "action") &&
             (value.indexOf("javascript:") === 0 || value.indexOf("vbscript:") === 0 ||
              (value.indexOf("data:") === 0 && name !== "src")))) {
          n.removeAttribute(a.name);
        }
      });
    });
    return document.importNode(tpl.content, true);
  }

  function timeEl(iso) {
    var node = el("time", null, (iso || "").replace("T", " ").slice(0, 16));
    if (iso) node.setAttribute("datetime", iso);
    return node;
  }

  function fillHead(head, c) {
    head.textContent = "";
    if (c.deleted) {
      head.appendChild(el("em", "muted", t("removed", "comment removed")));
      return;
    }
    var author = el("a", "author", c.author.name);
    author.href = urlFor(cfg.userUrl, c.author.id);
    head.appendChild(author);
    head.appendChild(document.createTextNode(" "));
    head.appendChild(el("span", "muted", c.author.office));
    if (c.official) {
      head.appendChild(document.createTextNode(" "));
      head.appendChild(el("span", "pill official", t("official", "Official response")));
    }
    head.appendChild(document.createTextNode(" "));
    head.appendChild(timeEl(c.created_at));
    if (c.edited_at) {
      head.appendChild(document.createTextNode(" "));
      head.appendChild(el("span", "muted", "(" + t("edited", "edited") + ")"));
    }
  }

  // Any CSRF token of this page will do: they are per session, not per form.
  function csrfToken() {
    var input = document.querySelector("#comment-form input[name=csrf_token]") ||
      document.querySelector("input[name=csrf_token]");
    return input ? input.value : "";
  }

  // The viewer's Edit/Delete, the same markup as forum/ideas/cache.py _controls: Edit and
  // Delete for the author, Delete alone for an admin. Built here, never sent in the page,
  // so a page never holds links to comments its viewer may not change.
  function controls(box, c) {
    var own = c.author.id === me;
    if (!own && !isAdmin) return;
    var base = root + "/comments/" + encodeURIComponent(c.id);
    box.appendChild(document.createTextNode(" "));
    if (own) {
      var edit = el("a", "edit-comment", t("edit", "Edit"));
      edit.href = base + "/edit";
      box.appendChild(edit);
    }
    var form = el("form", "inline");
    form.method = "post";
    form.action = base + "/delete";
    var token = el("input");
    token.type = "hidden";
    token.name = "csrf_token";
    token.value = csrfToken();
    form.appendChild(token);
    var button = el("button", "link danger", t("delete", "Delete"));
    button.type = "submit";
    form.appendChild(button);
    box.appendChild(form);
  }

  function actions(c) {
    var box = el("div", "comment-actions");
    var reply = el("button", "link reply-button", t("reply", "Reply"));
    reply.type = "button";
    reply.dataset.parent = String(c.id);
    box.appendChild(reply);
    controls(box, c);
    return box;
  }

  // The heading's count: the catalog's one/other form (gettext's n != 1 rule, which English
  // and Bangla share) with the new number in place of its digits.
  function bumpCount(by) {
    var count = document.getElementById("comment-count");
    if (!count) return;
    var n = (parseInt(count.dataset.count, 10) || 0) + by;
    count.dataset.count = String(n);
    var form = n === 1 ? count.dataset.one : count.dataset.other;
    if (form) count.textContent = form.replace(/\d+/, localDigits(String(n)));
  }

  // Numbers in the digits the reader chose (<html data-digits="bangla">, set by the server).
  function localDigits(text) {
    if (document.documentElement.getAttribute("data-digits") !== "bangla") return text;
    return text.replace(/[0-9]/g, function (d) { return "০১২৩৪৫৬৭৮৯".charAt(+d); });
  }

  // The same shape as templates/ideas/_comment.html.
  function renderComment(c) {
    var li = el("li", "comment live-new" + (c.official ? " official" : "") + (c.deleted ? " removed" : ""));
    li.id = "c" + c.id;
    li.dataset.commentId = String(c.id);
    li.dataset.authorId = String(c.author.id);
    var head = el("div", "comment-head");
    fillHead(head, c);
    li.appendChild(head);
    if (!c.deleted) {
      var body = el("div", "comment-body");
      body.appendChild(safeFragment(c.body_html));
      li.appendChild(body);
      li.appendChild(actions(c));
    }
    li.appendChild(el("ol", "replies"));
    return li;
  }

  // An official reply answers the idea: the pill in its head and the follow-up box change at once.
  function markAnswered() {
    if (!ideaEl) return;
    var waiting = ideaEl.querySelector(".pill.waiting");
    if (waiting) {
      waiting.className = "pill official";
      waiting.textContent = t("answered", "Answered");
    }
    var box = document.getElementById("followup-state");
    if (box && !document.getElementById("answered-note")) {
      var heading = box.querySelector("h2");
      var ref = box.querySelector("p.muted");
      box.textContent = "";
      if (heading) box.appendChild(heading);
      if (ref) box.appendChild(ref);
      var p = el("p", null, t("answered_now", "Answered by a senior official."));
      p.id = "answered-note";
      box.appendChild(p);
    }
  }

  // A reader scrolled above new replies gets a button that counts them and jumps there.
  var unseen = [];
  var jump = null;
  function belowView(node) { return node.getBoundingClientRect().top > window.innerHeight; }
  function refreshJump() {
    unseen = unseen.filter(function (node) { return document.body.contains(node) && belowView(node); });
    if (!unseen.length) { if (jump) jump.hidden = true; return; }
    if (!jump) {
      jump = el("button", "button new-replies");
      jump.type = "button";
      jump.id = "new-replies";
      jump.addEventListener("click", function () {
        var first = unseen[0];
        unseen = [];
        jump.hidden = true;
        if (first) { first.scrollIntoView({ behavior: "smooth", block: "center" }); first.focus({ preventScroll: true }); }
      });
      document.body.appendChild(jump);
    }
    jump.textContent = unseen.length === 1 ? t("new_one", "1 new reply") :
      t("new_other", "99999 new replies").replace(/99999|[\u09e6-\u09ef]+/, String(unseen.length));
    jump.hidden = false;
  }
  window.addEventListener("scroll", function () { if (unseen.length) refreshJump(); }, { passive: true });

  function onCreated(data) {
    if (!list || data.idea_id !== ideaId) return;
    var c = data.comment;
    if (c.official && c.idea_answered) markAnswered();
    if (document.getElementById("c" + c.id)) return;  // already on the page (our own post, or a resend)
    var parent = c.parent_id ? document.getElementById("c" + c.parent_id) : null;
    var target = parent ? parent.querySelector(":scope > ol.replies") : list;
    var li = renderComment(c);
    li.tabIndex = -1;
    (target || list).appendChild(li);
    bumpCount(1);
    if (c.author.id !== me && belowView(li)) { unseen.push(li); refreshJump(); }
  }
  // thread.js hands over the comment the server just accepted from this page.
  window.PSI = window.PSI || {};
  window.PSI.showComment = function (c) {
    onCreated({ idea_id: ideaId, comment: c });
    var li = document.getElementById("c" + c.id);
    if (li) li.scrollIntoView({ block: "nearest" });
  };
  (window.PSI.pendingComments || []).forEach(window.PSI.showComment);
  window.PSI.pendingComments = [];

  function onUpdated(data) {
    if (data.idea_id !== ideaId) return;
    var c = data.comment;
    var li = document.getElementById("c" + c.id);
    if (!li) return onCreated(data);
    fillHead(li.querySelector(":scope > .comment-head"), c);
    var body = li.querySelector(":scope > .comment-body");
    if (body) {
      body.textContent = "";
      body.appendChild(safeFragment(c.body_html));
    }
  }

  function onDeleted(data) {
    if (data.idea_id !== ideaId) return;
    var c = data.comment;
    var li = document.getElementById("c" + c.id);
    if (!li) return;
    li.classList.add("removed");
    fillHead(li.querySelector(":scope > .comment-head"), c);
    li.querySelectorAll(":scope > .comment-body, :scope > .comment-actions").forEach(function (n) { n.remove(); });
  }

  // Delete without leaving the page, for server-rendered and live-built controls alike; the
  // comment_deleted event (or this response) marks it removed. Any failure falls back to the
  // plain form post, so the server's answer is shown.
  function markDeleted(id) {
    onDeleted({ idea_id: ideaId, comment: { id: id, deleted: true } });
  }
  if (list && window.fetch && window.FormData) {
    list.addEventListener("submit", function (event) {
      var form = event.target;
      var match = /\/comments\/(\d+)\/delete$/.exec(form.getAttribute("action") || "");
      if (!match) return;
      event.preventDefault();
      if (!window.confirm(t("confirm_delete", "Delete this comment?"))) return;
      var button = form.querySelector("button");
      if (button) button.disabled = true;
      fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin" })
        .then(function (response) {
          // Success redirects back to the idea; a lost session redirects to the login page.
          if (!response.ok || /\/login$/.test(new URL(response.url).pathname)) throw new Error("refused");
          markDeleted(Number(match[1]));
        })
        .catch(function () { form.submit(); });
    });
  }

  function onViewers(data) {
    if (!viewersEl || data.idea_id !== ideaId) return;
    // The server sends a count and the first few names (presence is coalesced and bounded per room).
    var others = [];
    (data.users || []).forEach(function (name, i) {
      if ((data.user_ids || [])[i] !== me) others.push(name);
    });
    var total = typeof data.count === "number" ? Math.max(data.count - 1, others.length) : others.length;
    var more = total - others.length;
    viewersEl.textContent = total ? "· " + t("viewing", "Also viewing:") + " " + others.join(", ") +
      (more > 0 ? (others.length ? " " : "") + "+" + more : "") : "";
    viewersEl.hidden = total === 0;
  }

  function onNotification(data) {
    var badge = document.getElementById("notification-count");
    if (badge) {
      badge.textContent = String((parseInt(badge.textContent, 10) || 0) + 1);
      badge.hidden = false;
    }
    // No toast for a reply the reader already has on screen.
    if (data.comment_id && ideaId && data.idea_id === ideaId && document.getElementById("c" + data.comment_id)) return;
    if (data.idea_id && ideaId === data.idea_id && data.kind !== "flag" && list) return;
    var href = data.idea_id ? urlFor(cfg.ideaUrl, data.idea_id) + (data.comment_id ? "#c" + data.comment_id : "") : null;
    if (window.PSI.toast) readerText(data).then(function (text) { window.PSI.toast(text, href); });
  }

  // The pushed text was written for whoever caused it; the bell menu phrases it in this reader's language,
  // at display time, so the toast asks the menu (one small request per notice) and falls back to the push.
  function readerText(data) {
    var bell = document.getElementById("notification-bell");
    var url = bell && bell.dataset.menuUrl;
    if (!url || !data.id || !window.fetch) return Promise.resolve(data.text);
    var want = "/notifications/" + data.id + "/open";
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (menu) {
        var items = (menu && menu.items) || [];
        for (var i = 0; i < items.length; i++) {
          if (items[i].url.slice(-want.length) === want) return items[i].text;
        }
        return data.text;
      })
      .catch(function () { return data.text; });
  }

  // After a dropped connection: say so, and fetch what was missed once back.
  var connection = document.getElementById("connection-state");
  var wasConnected = false;
  function catchUp(sinceVersion) {
    if (!ideaId || !cfg.apiIdeaUrl || !window.fetch) return;
    var url = urlFor(cfg.apiIdeaUrl, ideaId) + (sinceVersion ? "?version=" + encodeURIComponent(sinceVersion) : "");
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data || data.unchanged) return;
        if (data.answered) markAnswered();
        (data.comments || []).forEach(function (c) {
          var li = document.getElementById("c" + c.id);
          if (!li) onCreated({ idea_id: ideaId, comment: c });
          else if (c.deleted && !li.classList.contains("removed")) onDeleted({ idea_id: ideaId, comment: c });
        });
      });
  }

  // Straight over WebSocket where it can, falling back to long-polling (a proxy that refuses upgrades).
  var socket = io({ transports: ["websocket", "polling"], tryAllTransports: true });
  socket.on("connect", function () {
    // Also on every reconnect: rooms do not survive a dropped connection.
    // The first time, the page was rendered before this script started (after the load event): once in the
    // room, ask whether the idea changed since, so a comment posted in between is not missed.
    var firstJoin = !wasConnected;
    if (ideaId) {
      socket.emit("join_idea", { idea_id: ideaId }, function () {
        if (firstJoin) catchUp(ideaEl.dataset.ideaVersion);
      });
    }
    if (connection) connection.hidden = true;
    if (wasConnected) catchUp();
    wasConnected = true;
  });
  socket.on("comment_created", onCreated);
  socket.on("comment_updated", onUpdated);
  socket.on("comment_deleted", onDeleted);
  socket.on("viewers", onViewers);
  socket.on("notification", onNotification);
  // The server's queue lost Redis for a while: events sent meanwhile may not have reached this page.
  // Fetch what is missing, spread over two seconds so a whole process's pages do not ask at once.
  socket.on("resync", function () { setTimeout(catchUp, Math.random() * 2000); });
  socket.on("disconnect", function (reason) {
    if (connection && reason !== "io client disconnect" && reason !== "io server disconnect") connection.hidden = false;
    // The server ends the socket when this session was logged out or the account deactivated.
    if (reason === "io server disconnect" && viewersEl) viewersEl.hidden = true;
  });
})();
