/* Times as the reader expects them: every <time datetime> is shown in the reader's time zone and
   language, and those marked data-relative read "2 hours ago" and stay correct while the page is open
   (re-rendered every 30 seconds, and for elements added later, e.g. live comments). */
(function () {
  "use strict";
  var script = document.getElementById("time-script");
  var tz = (script && script.getAttribute("data-tz")) || undefined;
  var lang = document.documentElement.lang || "en";
  // The reader's digits setting (<html data-digits="bangla">, set by the server), whatever the language.
  var digits = document.documentElement.getAttribute("data-digits") === "bangla" ? "beng" : "latn";
  var absolute, relative;
  try {
    absolute = new Intl.DateTimeFormat(lang, {timeZone: tz, dateStyle: "medium", timeStyle: "short", numberingSystem: digits});
  } catch (e) {
    absolute = new Intl.DateTimeFormat(lang, {dateStyle: "medium", timeStyle: "short", numberingSystem: digits});
  }
  try {
    relative = new Intl.RelativeTimeFormat(lang, {numeric: "auto", numberingSystem: digits});
  } catch (e) { relative = null; }
  var STEPS = [["second", 60], ["minute", 60], ["hour", 24], ["day", 7]];

  function ago(ms) {
    var value = Math.round(ms / 1000);
    for (var i = 0; i < STEPS.length; i++) {
      if (Math.abs(value) < STEPS[i][1]) return relative.format(-value, STEPS[i][0]);
      value = Math.round(value / STEPS[i][1]);
    }
    return null;  // a week or more: the date itself reads better
  }

  function render(el) {
    var when = new Date(el.getAttribute("datetime"));
    if (isNaN(when)) return;
    var full = absolute.format(when);
    el.title = full;
    // Comments added live (live.js) carry a bare <time>: they read like the server-rendered ones.
    if ((el.hasAttribute("data-relative") || el.closest(".comment-head")) && relative) {
      var text = ago(Date.now() - when.getTime());
      el.textContent = text || full;
    }
  }

  function tick() { document.querySelectorAll("time[datetime]").forEach(render); }
  tick();
  setInterval(tick, 30000);
  new MutationObserver(function (changes) {
    changes.forEach(function (c) {
      c.addedNodes.forEach(function (n) {
        if (n.nodeType !== 1) return;
        if (n.matches("time[datetime]")) render(n);
        n.querySelectorAll("time[datetime]").forEach(render);
      });
    });
  }).observe(document.body, {childList: true, subtree: true});
})();
