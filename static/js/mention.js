/* @-mention autocomplete for the comment and idea composers: an ARIA 1.2 combobox on the textarea.
   Typing @ and a few letters lists up to ten people (name, designation, office); arrows move, Enter or
   Tab picks, Escape closes. Picking writes @[Name](/users/ID), which renders as a link to the profile. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) return;
  var url = script.getAttribute("data-suggest-url");
  var root = script.getAttribute("data-script-root") || "";
  var i18n = JSON.parse(script.getAttribute("data-i18n") || "{}");
  var TRIGGER = /(^|\s)@([^\s@\[\]()][^@\[\]()\n]{0,40})$/;
  var counter = 0;

  function attach(area) {
    var n = ++counter;
    var list = document.createElement("ul");
    var status = document.createElement("div");
    var items = [], active = -1, timer = null, match = null, asked = "";
    list.id = "mention-list-" + n;
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", i18n.people || "People");
    list.className = "mention-list";
    list.hidden = true;
    Object.assign(list.style, {listStyle: "none", margin: "0", padding: "0", border: "1px solid #8a94a0",
      background: "#fff", maxHeight: "16rem", overflowY: "auto"});
    status.setAttribute("role", "status");
    status.className = "visually-hidden";
    Object.assign(status.style, {position: "absolute", width: "1px", height: "1px", overflow: "hidden",
      clip: "rect(0 0 0 0)"});
    area.insertAdjacentElement("afterend", list);
    list.insertAdjacentElement("afterend", status);
    // A textarea keeps its textbox role (ARIA in HTML allows no other), which supports these three;
    // the status region announces how many people matched.
    area.setAttribute("aria-autocomplete", "list");
    area.setAttribute("aria-controls", list.id);

    function close() {
      list.hidden = true; items = []; active = -1; match = null;
      area.removeAttribute("aria-activedescendant");
    }
    function highlight(i) {
      active = i;
      Array.prototype.forEach.call(list.children, function (li, j) {
        li.setAttribute("aria-selected", j === i ? "true" : "false");
        li.style.background = j === i ? "#dbeee4" : "";
        if (j === i) li.scrollIntoView({block: "nearest"});
      });
      if (i >= 0) area.setAttribute("aria-activedescendant", list.id + "-" + i);
      else area.removeAttribute("aria-activedescendant");
    }
    function show(found) {
      items = found; list.textContent = "";
      found.forEach(function (p, i) {
        var li = document.createElement("li");
        li.id = list.id + "-" + i;
        li.setAttribute("role", "option");
        li.style.padding = "0.3rem 0.5rem"; li.style.cursor = "pointer";
        li.textContent = p.name + (p.designation ? ", " + p.designation : "") + " · " + (p.office_name || p.office);
        li.addEventListener("mousedown", function (e) { e.preventDefault(); pick(i); });
        list.appendChild(li);
      });
      var open = found.length > 0;
      list.hidden = !open;
      status.textContent = open ? (i18n.count || "%n people found").replace("%n", found.length) : (i18n.none || "");
      highlight(open ? 0 : -1);
    }
    function pick(i) {
      var p = items[i];
      if (!p || !match) return;
      var label = p.name.replace(/[\[\]\n]/g, " ");
      var before = area.value.slice(0, match.start), after = area.value.slice(area.selectionEnd);
      var text = "@[" + label + "](" + root + "/users/" + p.id + ") ";
      area.value = before + text + after;
      var caret = before.length + text.length;
      area.setSelectionRange(caret, caret);
      status.textContent = (i18n.picked || "Mentioned %s").replace("%s", p.name);
      close();
      area.dispatchEvent(new Event("input", {bubbles: true}));
    }
    area.addEventListener("input", function () {
      var head = area.value.slice(0, area.selectionStart);
      var m = TRIGGER.exec(head);
      if (!m) { close(); return; }
      match = {start: head.length - m[2].length - 1};
      var q = m[2];
      if (q === asked && !list.hidden) return;
      clearTimeout(timer);
      timer = setTimeout(function () {
        asked = q;
        fetch(url + "?q=" + encodeURIComponent(q), {credentials: "same-origin", headers: {Accept: "application/json"}})
          .then(function (r) { return r.ok ? r.json() : {items: []}; })
          .then(function (data) { if (asked === q && match) show(data.items || []); })
          .catch(close);
      }, 150);
    });
    area.addEventListener("keydown", function (e) {
      if (list.hidden) return;
      if (e.key === "ArrowDown") { e.preventDefault(); highlight((active + 1) % items.length); }
      else if (e.key === "ArrowUp") { e.preventDefault(); highlight((active - 1 + items.length) % items.length); }
      else if ((e.key === "Enter" || e.key === "Tab") && active >= 0) { e.preventDefault(); pick(active); }
      else if (e.key === "Escape") { e.preventDefault(); close(); }
    });
    area.addEventListener("blur", function () { setTimeout(close, 150); });
    // This script starts after the load event: look once at what was typed before it ran.
    if (document.activeElement === area && area.value) area.dispatchEvent(new Event("input"));
  }

  document.querySelectorAll("textarea[name=body]").forEach(attach);
})();
