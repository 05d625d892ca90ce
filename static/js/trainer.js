// Scenario trainer: focus after htmx swaps, the lightning clock (display only: the server keeps the
// official time) and the "n" shortcut for the next scenario. Everything works without this file.
"use strict";

(function () {
  function focusHeading(root) {
    var heading = root.querySelector("[data-trainer-focus]");
    if (heading) heading.focus();
  }

  var clockTimer = null;
  function startClock(root) {
    if (clockTimer) window.clearInterval(clockTimer);
    clockTimer = null;
    var clock = root.querySelector("[data-trainer-clock]");
    if (!clock) return;
    var started = Date.now() - Number(clock.getAttribute("data-elapsed") || 0) * 1000;
    function tick() {
      var seconds = Math.floor((Date.now() - started) / 1000);
      var minutes = Math.floor(seconds / 60);
      var rest = seconds % 60;
      clock.textContent = minutes ? minutes + " min " + String(rest).padStart(2, "0") + " s" : rest + " s";
    }
    tick();
    clockTimer = window.setInterval(tick, 1000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    startClock(document);
  });

  // htmx:load fires on the swapped-in element itself (afterSwap of an outerHTML swap fires on the detached
  // old one, so it does not always reach the document): focus the new heading, restart the clock.
  document.addEventListener("htmx:load", function (event) {
    if (event.target === document.body) return; // the initial page load, not a swap
    if (!event.target.closest || !event.target.closest("#round, #guide")) return;
    // The event may fire before the new content is in the document (focus() would do nothing): finish
    // once the swap is done, on the element now in the page.
    window.setTimeout(function () {
      var round = document.getElementById("round") || document.getElementById("guide");
      if (!round) return;
      // Unless the learner already moved on inside the new content, the focus (left on the pressed
      // button or link of the old content, or on the page) goes to the new heading.
      if (!round.contains(document.activeElement)) focusHeading(round);
      startClock(round);
    }, 0);
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "n" || event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.tagName === "SELECT")) return;
    var next = document.querySelector("[data-trainer-next]");
    if (next) {
      event.preventDefault();
      next.click();
    }
  });
})();
