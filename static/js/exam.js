// Practice exam: countdown synced with the server clock, "Select N" guard, keyboard shortcuts.
// The server owns the clock and refuses late answers; this only shows the time and submits at zero.
"use strict";
(function () {
  const timer = document.getElementById("exam-timer");
  const form = document.getElementById("exam-form");
  let offsetMs = 0; // server time minus browser time
  let deadlineMs = null;
  let warned = false;
  let submitted = false;

  function sync(el) {
    if (!el || !el.dataset.serverNowMs) return;
    offsetMs = Number(el.dataset.serverNowMs) - Date.now();
    if (el.dataset.deadlineMs) deadlineMs = Number(el.dataset.deadlineMs);
  }

  function format(seconds) {
    const h = Math.floor(seconds / 3600);
    const m = Math.floor((seconds % 3600) / 60);
    const s = seconds % 60;
    const mm = String(m).padStart(2, "0");
    const ss = String(s).padStart(2, "0");
    return h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
  }

  function tick() {
    if (deadlineMs === null) return;
    const left = Math.max(0, Math.round((deadlineMs - (Date.now() + offsetMs)) / 1000));
    timer.querySelector(".exam-timer-value").textContent = format(left);
    timer.classList.toggle("is-low", left <= 300);
    const alert = document.getElementById("exam-timer-alert");
    if (left <= 300 && !warned && alert) {
      warned = true;
      alert.textContent = "Five minutes left.";
    }
    if (left === 0 && !submitted) {
      submitted = true;
      if (alert) alert.textContent = "Time is up. Submitting your exam.";
      const upForm = document.getElementById("time-up-form");
      if (upForm) upForm.submit();
    }
  }

  if (timer) {
    sync(timer);
    tick();
    setInterval(tick, 1000);
  }
  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.target && event.target.id === "exam-live") sync(event.target);
  });

  if (!form) return;
  const select = Number(form.dataset.select || "1");
  const boxes = () => Array.from(form.querySelectorAll('input[name="choice"]'));
  const chosen = () => boxes().filter((b) => b.checked).length;

  // Messages from this script live outside the region htmx swaps, so a save landing later keeps them.
  const problemBox = document.getElementById("exam-problem");
  function problem(text) {
    if (problemBox) problemBox.textContent = text;
  }
  form.addEventListener("change", function () { problem(""); });

  // Never let more than N boxes be ticked on a "Select N" question.
  form.addEventListener("change", function (event) {
    const box = event.target;
    if (box.name === "choice" && box.type === "checkbox" && box.checked && chosen() > select) {
      box.checked = false;
      event.stopImmediatePropagation();
      problem(`Select only ${select}. Untick one first.`);
    }
  }, true);

  // "Select N" is enforced before leaving the question (the server checks it too).
  form.addEventListener("submit", function (event) {
    const button = event.submitter;
    const count = chosen();
    if (button && button.name === "go" && select > 1 && count > 0 && count < select) {
      event.preventDefault();
      problem(`Select ${select} options before you move on (you selected ${count}).`);
    }
  });

  function press(value) {
    const button = form.querySelector(`button[name="go"][value="${value}"]:not([disabled])`);
    if (button) button.click();
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const tag = (event.target.tagName || "").toLowerCase();
    if (tag === "textarea" || (tag === "input" && !["radio", "checkbox"].includes(event.target.type))) return;
    const key = event.key.toLowerCase();
    if (/^[1-9]$/.test(key)) {
      const box = boxes()[Number(key) - 1];
      if (!box) return;
      event.preventDefault();
      if (box.type === "radio") {
        if (!box.checked) box.click();
      } else {
        box.click();
      }
      box.focus();
    } else if (key === "n") {
      press("next");
    } else if (key === "p") {
      press("prev");
    } else if (key === "r") {
      press("review");
    } else if (key === "f") {
      document.getElementById("flag").click();
    }
  });
})();
