// "Similar ideas": on the new-idea form, ideas like the title being typed (debounced); on an idea page,
// ideas like the one shown. The list comes from /search/similar as JSON and is built with textContent only.
(function () {
  "use strict";

  function render(box, items) {
    var list = box.querySelector("ol");
    list.textContent = "";
    items.forEach(function (item) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = item.url;
      a.textContent = item.title;
      li.appendChild(a);
      if (item.reference) {
        var ref = document.createElement("span");
        ref.className = "muted";
        ref.textContent = " " + item.reference;
        li.appendChild(ref);
      }
      list.appendChild(li);
    });
    box.hidden = items.length === 0;
  }

  function fetchItems(box, params) {
    var url = box.getAttribute("data-url") + "?" + new URLSearchParams(params).toString();
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { items: [] }; })
      .then(function (body) { return body.items || []; })
      .catch(function () { return []; });
  }

  function followTitle(box, input) {
    var timer = null, last = "", latest = 0;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var title = input.value.trim();
        if (title === last) { return; }
        last = title;
        var ticket = ++latest;
        if (title.length < 4) { render(box, []); return; }
        fetchItems(box, { title: title }).then(function (items) {
          if (ticket === latest) { render(box, items); }  // an older, slower answer never wins
        });
      }, 350);
    });
    // This script starts after the load event: a title typed (or kept after an error) before then counts too.
    if (input.value.trim()) input.dispatchEvent(new Event("input"));
  }

  document.querySelectorAll("[data-similar]").forEach(function (box) {
    var ideaId = box.getAttribute("data-idea");
    if (ideaId) {
      fetchItems(box, { idea: ideaId }).then(function (items) { render(box, items); });
      return;
    }
    var input = document.getElementById(box.getAttribute("data-title-input") || "title");
    if (input) { followTitle(box, input); }
  });
})();
