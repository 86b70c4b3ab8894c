// Idea page: replying (named, Esc cancels), posting without a reload with the error next to
// the box, the draft kept until the server accepts the comment, and "replying to <name>" on
// replies nested deeper than the page indents.
(function () {
  "use strict";
  var form = document.getElementById("comment-form");
  if (!form) return;
  var PSI = window.PSI || {};
  var t = PSI.t || function (k, f) { return f; };
  var parent = form.querySelector("input[name=parent_id]");
  var area = form.querySelector("textarea");
  var note = document.getElementById("replying-to");
  var noteText = document.getElementById("replying-to-text");
  var errorBox = document.getElementById("comment-error");
  var submit = form.querySelector("[type=submit]");
  var list = document.getElementById("comments");
  var MAX_INDENT = 2;  // forum.css indents two levels of replies; deeper ones name whom they answer

  function authorOf(li) {
    var a = li && li.querySelector(":scope > .comment-head .author");
    return a ? a.textContent : "";
  }

  function cancelReply() {
    parent.value = "";
    note.hidden = true;
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest(".reply-button");
    if (button) {
      parent.value = button.dataset.parent;
      var name = authorOf(document.getElementById("c" + button.dataset.parent));
      if (name && noteText.dataset.template) noteText.textContent = noteText.dataset.template.replace("__NAME__", name);
      note.hidden = false;
      if (PSI.showWrite) PSI.showWrite();
      area.focus();
    }
    if (event.target.id === "cancel-reply") {
      cancelReply();
      area.focus();
    }
  });

  area.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && parent.value) {
      event.preventDefault();
      cancelReply();
    }
  });

  // Replies deeper than the indent say whom they answer.
  function depth(li) {
    var n = 0;
    var node = li.parentElement;
    while (node && node !== list) {
      if (node.classList.contains("replies")) n += 1;
      node = node.parentElement;
    }
    return n;
  }
  function labelDeep(li) {
    if (!li.classList || !li.classList.contains("comment") || li.querySelector(":scope > .replying-to")) return;
    if (depth(li) <= MAX_INDENT) return;
    var parentLi = li.parentElement.closest("li.comment");
    var name = authorOf(parentLi);
    if (!name) return;
    var p = document.createElement("p");
    p.className = "replying-to";
    var link = document.createElement("a");
    link.href = "#" + parentLi.id;
    link.textContent = "\u21aa " + t("replyingto", "replying to __NAME__").replace("__NAME__", name);
    p.appendChild(link);
    li.insertBefore(p, li.firstChild);
  }
  if (list) {
    list.querySelectorAll("li.comment").forEach(labelDeep);
    if (window.MutationObserver) {
      new MutationObserver(function (records) {
        records.forEach(function (r) {
          r.addedNodes.forEach(function (n) { if (n.nodeType === 1) labelDeep(n); });
        });
      }).observe(list, { childList: true, subtree: true });
    }
  }

  function showError(message) {
    errorBox.textContent = message;
    area.setAttribute("aria-invalid", message ? "true" : "false");
  }

  // Post without leaving the page; live.js puts the comment in the thread (from this answer or
  // from the room's event, whichever comes first). Without fetch, the form posts normally.
  if (!window.fetch || !window.FormData) return;
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!area.value.trim()) {
      showError(area.dataset.requiredMessage || t("empty", "Nothing to preview."));
      area.focus();
      return;
    }
    submit.disabled = true;
    showError("");
    fetch(form.action, {
      method: "POST", body: new FormData(form), credentials: "same-origin",
      headers: { Accept: "application/json" }
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (response.status === 201 && data.comment) {
          if (PSI.draft) PSI.draft.clear(area);
          area.value = "";
          cancelReply();
          // live.js starts after the load event: a comment posted before then waits for it.
          if (PSI.showComment) PSI.showComment(data.comment);
          else (PSI.pendingComments = PSI.pendingComments || []).push(data.comment);
          return;
        }
        var message = (data.error && data.error.message) || t("error", "Something went wrong. Try again.");
        showError(message);
        area.focus();
      });
    }).catch(function () {
      showError(t("offline", "No connection. Your text is kept; try again."));
    }).then(function () { submit.disabled = false; });
  });
})();
